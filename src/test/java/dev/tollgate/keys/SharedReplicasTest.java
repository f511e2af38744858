package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.CHAT;
import static dev.tollgate.keys.KeysTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.CalendarMinute;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import dev.tollgate.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Two replicas sharing one database and one Redis: one budget, one rate limit, one set of keys and of stored models. */
class SharedReplicasTest {

  @ParameterizedTest
  @EnumSource(Backend.class)
  void twoReplicasShareBudgetsLimitsAndKeyChangesThroughRedis(Backend backend) throws Exception {
    KeysTest setup = new KeysTest();
    setup.upstream();
    try (FakeUpstream up = setup.upstream; TestDatabase db = TestDatabase.create(backend); RedisServer redis = RedisServer.start()) {
      Map<String, String> env = new HashMap<>(db.env());
      env.put("REDIS_URL", redis.url());
      env.put("TOLLGATE_CACHE_REFRESH_SECONDS", "60"); // only pub/sub can tell the other replica in time
      env.put("STORE_MODEL_IN_DB", "True");
      Map<String, String> env2 = new HashMap<>(env);
      env2.put("TOLLGATE_SPEND_JOURNAL_DIR", db.dir().resolve("journal2").toString());
      try (TestGateway a = TestGateway.start(setup.yaml(), env); TestGateway b = TestGateway.start(setup.yaml(), env2)) {
        String key = KeysTest.generate(a, "{\"max_budget\":1.0}");
        long deadline = System.currentTimeMillis() + 5_000;
        while (b.post("/v1/chat/completions", CHAT, key).statusCode() != 200 && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          TestGateway gw = i % 2 == 0 ? a : b;
          calls.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gw.url() + "/v1/chat/completions"))
              .header("authorization", "Bearer " + key).header("content-type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 1; // the call that found the key on replica b
        double billed = 0.02;
        for (var f : calls) {
          HttpResponse<String> r = f.get();
          if (r.statusCode() == 200) {
            ok++;
            billed += Double.parseDouble(r.headers().firstValue("x-litellm-response-cost").orElseThrow());
          } else {
            assertThat(json(r).at("/error/type").asText()).as(r.body()).isEqualTo("budget_exceeded");
          }
        }
        assertThat(ok).as("one budget across both replicas").isEqualTo(50);
        assertThat(billed).isLessThanOrEqualTo(1.0 + 1e-9);

        // a change on one replica reaches the other at once
        assertThat(a.post("/key/block", "{\"key\":\"" + key + "\"}").statusCode()).isEqualTo(200);
        deadline = System.currentTimeMillis() + 5_000;
        while (b.post("/v1/chat/completions", CHAT, key).statusCode() != 401 && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        assertThat(b.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(401);

        // so does a model added through the admin API
        assertThat(a.post("/model/new", "{\"model_name\":\"added\",\"litellm_params\":{\"model\":\"openai/m\",\"api_base\":\""
            + up.url() + "/v1\",\"api_key\":\"sk-up\"}}").statusCode()).isEqualTo(200);
        assertThat(ModelsTest.answered(b, CHAT.replace("priced", "added"), 200)).isTrue();

        // one rate limit across both replicas
        String limited = KeysTest.generate(b, "{\"rpm_limit\":3}");
        CalendarMinute.awaitRoomFor(10);
        deadline = System.currentTimeMillis() + 5_000;
        while (a.get("/v1/models", limited).statusCode() != 200 && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        int passed = 0;
        for (int i = 0; i < 6; i++) {
          HttpResponse<String> r = (i % 2 == 0 ? a : b).post("/v1/chat/completions", CHAT, limited);
          if (r.statusCode() == 200) {
            passed++;
            assertThat(r.headers().firstValue("x-ratelimit-remaining-requests")).hasValue(Integer.toString(3 - passed));
          } else {
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("retry-after")).isPresent();
          }
        }
        assertThat(passed).isEqualTo(3);

        deadline = System.currentTimeMillis() + 10_000;
        while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < 53 && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        assertThat(db.scalar("SELECT spend FROM tg_entity WHERE kind = 'key' AND spend > 0.5")).isCloseTo(billed, Offset.offset(1e-9));
      }
    }
  }
}
