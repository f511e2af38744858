package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.CHAT;
import static dev.tollgate.keys.KeysTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Models added through the API: stored with sealed credentials, served at once, by another replica
 * within the refresh interval and after a restart; a changed salt key detected.
 */
class ModelsTest {
  final KeysTest setup = new KeysTest();

  @BeforeEach
  void upstream() {
    setup.upstream();
  }

  @AfterEach
  void stop() {
    setup.stop();
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void storedModelsAreSealedServedAfterRestartAndAChangedSaltKeyIsReported(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend)) {
      Map<String, String> env = storingModels(db);
      env.put("LITELLM_SALT_KEY", "sk-salt-one");
      String model = "{\"model_name\":\"added\",\"litellm_params\":{\"model\":\"openai/m\",\"api_base\":\"" + setup.upstream.url()
          + "/v1\",\"api_key\":\"sk-upstream-secret\"},\"model_info\":{\"input_cost_per_token\":0.001,\"output_cost_per_token\":0.001}}";
      try (TestGateway gw = TestGateway.start(setup.yaml(), env)) {
        HttpResponse<String> added = gw.post("/model/new", model);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThat(added.body()).doesNotContain("sk-upstream-secret");
        HttpResponse<String> bad = gw.post("/model/new", model.replace("openai/m", "opnai/m"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).at("/error/message").asText()).contains("opnai");
        assertThat(gw.post("/model/new", model.replace("\"model_name\"", "\"modelname\"")).statusCode()).isEqualTo(400);
        JsonNode info = json(gw.get("/model/info"));
        assertThat(info.get("data").findValuesAsText("model_name")).contains("priced", "added");
        assertThat(gw.get("/model_group/info").body()).contains("\"model_group\":\"priced\"").contains("\"providers\":[\"openai\"]");
      }
      try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT litellm_params FROM tg_model")) {
        rs.next();
        assertThat(rs.getString(1)).doesNotContain("sk-upstream-secret").doesNotContain("api_base");
      }
      try (TestGateway gw = TestGateway.start(setup.yaml(), env)) {
        HttpResponse<String> r = gw.post("/v1/chat/completions", CHAT.replace("priced", "added"), TestGateway.MASTER_KEY);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(setup.upstream.last().headers().get("authorization")).isEqualTo("Bearer sk-upstream-secret");
        assertThat(r.headers().firstValue("x-litellm-response-cost")).hasValue("0.02");
      }
      env.put("LITELLM_SALT_KEY", "sk-salt-two");
      try (TestGateway gw = TestGateway.start(setup.yaml(), env)) {
        assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "added"), TestGateway.MASTER_KEY).statusCode()).isEqualTo(400);
        assertThat(gw.get("/model/info").body()).contains("LITELLM_SALT_KEY is not the key they were stored with");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void modelsAddedUpdatedAndDeletedAreServedAtOnceAndByTheOtherReplicaWithinTheRefresh(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); FakeUpstream other = FakeUpstream.start()
        .onPost("/v1/chat/completions", rc -> rc.response().putHeader("content-type", "application/json")
            .end("{\"id\":\"c2\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"other\"},\"finish_reason\":\"stop\"}]}"))) {
      Map<String, String> env = storingModels(db);
      env.put("LITELLM_SALT_KEY", "sk-salt-one");
      env.put("TOLLGATE_CACHE_REFRESH_SECONDS", "0.3");
      Map<String, String> env2 = new HashMap<>(env);
      env2.put("TOLLGATE_SPEND_JOURNAL_DIR", db.dir().resolve("journal2").toString());
      String chat = CHAT.replace("priced", "added");
      try (TestGateway a = TestGateway.start(setup.yaml(), env); TestGateway b = TestGateway.start(setup.yaml(), env2)) {
        assertThat(a.post("/v1/chat/completions", chat, TestGateway.MASTER_KEY).statusCode()).isEqualTo(400);
        HttpResponse<String> added = a.post("/model/new", "{\"model_name\":\"added\",\"litellm_params\":{\"model\":\"openai/m\","
            + "\"api_base\":\"" + setup.upstream.url() + "/v1\",\"api_key\":\"sk-upstream-secret\"},\"model_info\":{\"id\":\"m1\"}}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);

        HttpResponse<String> r = a.post("/v1/chat/completions", chat, TestGateway.MASTER_KEY);
        assertThat(r.statusCode()).as("served at once by the replica that stored it: " + r.body()).isEqualTo(200);
        assertThat(setup.upstream.last().headers().get("authorization")).isEqualTo("Bearer sk-upstream-secret");
        assertThat(a.get("/v1/models", TestGateway.MASTER_KEY).body()).contains("\"added\"");
        assertThat(answered(b, chat, 200)).as("served by the other replica within the refresh").isTrue();

        HttpResponse<String> updated = a.post("/model/update", "{\"model_id\":\"m1\",\"litellm_params\":{\"api_base\":\""
            + other.url() + "/v1\"}}");
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        assertThat(json(a.post("/v1/chat/completions", chat, TestGateway.MASTER_KEY)).at("/choices/0/message/content").asText())
            .isEqualTo("other");
        assertThat(other.last().headers().get("authorization")).isEqualTo("Bearer sk-upstream-secret");

        assertThat(a.post("/model/delete", "{\"id\":\"m1\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> gone = a.post("/v1/chat/completions", chat, TestGateway.MASTER_KEY);
        assertThat(gone.statusCode()).isEqualTo(400);
        assertThat(json(gone).at("/error/message").asText()).contains("Invalid model name");
        assertThat(a.get("/v1/models", TestGateway.MASTER_KEY).body()).doesNotContain("\"added\"");
        assertThat(a.post("/v1/chat/completions", CHAT, TestGateway.MASTER_KEY).statusCode()).as("config.yaml's model stays").isEqualTo(200);
        assertThat(answered(b, chat, 400)).as("gone from the other replica within the refresh").isTrue();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void modelInfoHidesEveryCredentialAndShowsAKeyOnlyTheModelsItMayCall(Backend backend) {
    String yaml = setup.yaml().replace("general_settings:", """
          - model_name: az
            litellm_params: {model: azure/my-deploy, api_base: "https://example-resource.openai.azure.com", api_version: "2024-06-01",
              azure_ad_token: AZURE-AD-TOKEN-SECRET, client_secret: CLIENT-SECRET-VALUE, mock_response: hi}
          - model_name: hdr
            litellm_params: {model: openai/hdr, api_base: "https://user:PASSWORD-IN-URL@example.com/v1", max_tokens: 64, mock_response: hi,
              extra_headers: {Authorization: "Bearer HEADER-SECRET", x-api-key: HEADER-KEY-SECRET, X-Trace: visible}}
        general_settings:""");
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml, storingModels(db))) {
      HttpResponse<String> added = gw.post("/model/new", "{\"model_name\":\"added\",\"litellm_params\":{\"model\":\"openai/m\","
          + "\"api_base\":\"https://example.com/v1\",\"api_key\":\"sk-added-secret\",\"extra_headers\":{\"x-api-key\":\"ADDED-HEADER-SECRET\"}}}");
      assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
      assertThat(added.body()).doesNotContain("sk-added-secret").doesNotContain("ADDED-HEADER-SECRET");

      HttpResponse<String> all = gw.get("/model/info");
      assertThat(json(all).get("data").findValuesAsText("model_name")).contains("priced", "other", "az", "hdr", "added");
      for (String secret : List.of("AZURE-AD-TOKEN-SECRET", "CLIENT-SECRET-VALUE", "PASSWORD-IN-URL", "HEADER-SECRET", "HEADER-KEY-SECRET",
          "sk-added-secret", "ADDED-HEADER-SECRET")) {
        assertThat(all.body()).as("admin view").doesNotContain(secret);
      }
      JsonNode hdr = json(all).get("data").findParents("model_name").stream().filter(m -> m.get("model_name").asText().equals("hdr"))
          .findFirst().orElseThrow().get("litellm_params");
      assertThat(hdr.get("api_base").asText()).isEqualTo("https://user:***@example.com/v1");
      assertThat(hdr.at("/extra_headers/X-Trace").asText()).isEqualTo("visible");
      assertThat(hdr.get("max_tokens").asInt()).as("numbers are no secrets").isEqualTo(64);

      String onlyHdr = KeysTest.generate(gw, "{\"models\":[\"hdr\"]}");
      for (String path : List.of("/model/info", "/v1/model/info")) {
        HttpResponse<String> mine = gw.get(path, onlyHdr);
        assertThat(mine.statusCode()).isEqualTo(200);
        assertThat(json(mine).get("data").findValuesAsText("model_name")).containsExactly("hdr");
        assertThat(mine.body()).doesNotContain("HEADER-SECRET").doesNotContain("PASSWORD-IN-URL");
      }
      assertThat(json(gw.get("/model_group/info", onlyHdr)).get("data").findValuesAsText("model_group")).containsExactly("hdr");

      // the same rule as the request path: access groups, and the user's and team's models too
      assertThat(json(gw.get("/model/info", KeysTest.generate(gw, "{\"models\":[\"cheap\"]}"))).get("data")
          .findValuesAsText("model_name")).containsExactly("priced");
      assertThat(gw.post("/user/new", "{\"user_id\":\"carol\",\"models\":[\"az\"],\"auto_create_key\":false}").statusCode()).isEqualTo(200);
      assertThat(json(gw.get("/model/info", KeysTest.generate(gw, "{\"user_id\":\"carol\"}"))).get("data")
          .findValuesAsText("model_name")).containsExactly("az");
      assertThat(json(gw.get("/model/info", KeysTest.generate(gw, "{\"models\":[\"*\"]}"))).get("data").findValuesAsText("model_name"))
          .contains("priced", "az", "hdr", "added");
    }
  }

  /** The database's environment with {@code STORE_MODEL_IN_DB} on; a map the test may add to. */
  static Map<String, String> storingModels(TestDatabase db) {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("STORE_MODEL_IN_DB", "True");
    return env;
  }

  /** Whether the replica answers the chat with the status within a few refresh intervals. */
  static boolean answered(TestGateway gw, String chat, int status) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (System.currentTimeMillis() < deadline) {
      if (gw.post("/v1/chat/completions", chat, TestGateway.MASTER_KEY).statusCode() == status) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }
}
