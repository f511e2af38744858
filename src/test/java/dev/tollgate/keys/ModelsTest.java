package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.CHAT;
import static dev.tollgate.keys.KeysTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Models added through the API: stored with sealed credentials, served after a restart, a changed salt key detected. */
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
      Map<String, String> env = new HashMap<>(db.env());
      env.put("STORE_MODEL_IN_DB", "True");
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
}
