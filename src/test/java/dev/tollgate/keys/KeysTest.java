package dev.tollgate.keys;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.json.Json;
import dev.tollgate.testing.CalendarMinute;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.RedisServer;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Virtual keys end to end: admin API, auth, model access, budgets under concurrency, rate limits, spend — on SQLite and PostgreSQL. */
class KeysTest {
  /** Every call costs exactly 0.02: 10 prompt + 10 completion tokens at 0.001 each. */
  static final String CHAT = "{\"model\":\"priced\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  FakeUpstream upstream;

  @BeforeEach
  void upstream() {
    upstream = FakeUpstream.start().onPost("/v1/chat/completions", rc -> rc.vertx().setTimer(20, t -> rc.response()
        .putHeader("content-type", "application/json")
        .end("{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":10,\"total_tokens\":20}}")));
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  String yaml() {
    return """
        model_list:
          - model_name: priced
            litellm_params: {model: openai/m, api_base: %s/v1, api_key: up}
            model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.001, access_groups: [cheap]}
          - model_name: other
            litellm_params: {model: openai/m, api_base: %s/v1, api_key: up}
        general_settings:
          proxy_batch_write_at: 0.2
        """.formatted(upstream.url(), upstream.url());
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return Json.MAPPER.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + r.body());
    }
  }

  static String generate(TestGateway gw, String body) {
    HttpResponse<String> r = gw.post("/key/generate", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r).get("key").asText();
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void keysAreGeneratedStoredHashedAuthenticatedAndRestrictedToTheirModels(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      String key = generate(gw, "{\"key_alias\":\"svc\",\"models\":[\"cheap\"],\"metadata\":{\"env\":\"test\"},\"duration\":\"30d\"}");
      assertThat(key).startsWith("sk-");

      HttpResponse<String> ok = gw.post("/v1/chat/completions", CHAT, key);
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(ok.headers().firstValue("x-litellm-response-cost")).hasValue("0.02");
      assertThat(ok.headers().firstValue("x-litellm-key-spend")).hasValue("0.02");

      HttpResponse<String> denied = gw.post("/v1/chat/completions", CHAT.replace("priced", "other"), key);
      assertThat(denied.statusCode()).isEqualTo(401);
      assertThat(json(denied).at("/error/message").asText()).contains("not allowed to access model");

      assertThat(gw.post("/v1/chat/completions", CHAT, "sk-unknown").statusCode()).isEqualTo(401);
      assertThat(gw.post("/key/generate", "{}", key).statusCode()).as("admin routes need the master key").isEqualTo(403);

      JsonNode info = json(gw.get("/key/info?key=" + key));
      assertThat(info.at("/info/key_alias").asText()).isEqualTo("svc");
      assertThat(info.at("/info/spend").asDouble()).isEqualTo(0.02);
      assertThat(info.at("/info/expires").asText()).isNotEmpty();

      // only the hash is stored
      try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT id, settings FROM tg_entity")) {
        while (rs.next()) {
          assertThat(rs.getString(1) + rs.getString(2)).doesNotContain(key.substring(3));
        }
      }

      assertThat(gw.post("/key/block", "{\"key\":\"" + key + "\"}").statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(401);
      gw.post("/key/unblock", "{\"key\":\"" + key + "\"}");
      assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(200);

      JsonNode regenerated = json(gw.post("/key/regenerate", "{\"key\":\"" + key + "\",\"grace_period\":\"1h\"}"));
      String newKey = regenerated.get("key").asText();
      assertThat(newKey).isNotEqualTo(key);
      assertThat(gw.post("/v1/chat/completions", CHAT, newKey).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).as("old key works during the grace period").isEqualTo(200);

      assertThat(json(gw.get("/key/list")).get("total_count").asInt()).isEqualTo(2);
      assertThat(json(gw.get("/key/list?key_alias=svc")).get("keys")).singleElement()
          .satisfies(k -> assertThat(k.asText()).isEqualTo(regenerated.get("token_id").asText()));
      assertThat(gw.post("/key/delete", "{\"keys\":[\"" + newKey + "\"]}").statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, newKey).statusCode()).isEqualTo(401);

      // spend reaches the database in batches
      long deadline = System.currentTimeMillis() + 10_000;
      while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < 4 && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertThat(db.scalar("SELECT COUNT(*) FROM tg_spend_log")).as("one row per call that reached a provider").isEqualTo(4);
      JsonNode logs = json(gw.get("/spend/logs?api_key=" + key));
      assertThat(logs).as("the old key's call in the grace period is its successor's").hasSize(2);
      assertThat(logs.get(0).get("model_group").asText()).isEqualTo("priced");
      assertThat(json(gw.get("/global/spend")).get("spend").asDouble()).isCloseTo(0.08, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void adminInputIsValidatedWithTheFieldNamed(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      for (var c : Map.of("{\"max_budgett\":1}", "max_budgett", "{\"max_budget\":-1}", "max_budget", "{\"duration\":\"3 weeks\"}", "duration",
          "{\"models\":\"gpt-4o\"}", "models", "{\"rpm_limit\":1.5}", "rpm_limit", "{\"budget_duration\":\"daily\"}", "budget_duration").entrySet()) {
        HttpResponse<String> r = gw.post("/key/generate", c.getKey());
        assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo(c.getValue());
      }
      assertThat(gw.post("/user/new", "{\"user_id\":\"u\",\"max_budget\":\"lots\"}").statusCode()).isEqualTo(400);
      assertThat(gw.post("/team/new", "{\"team_alias\":\"t\",\"tpm_limit\":-5}").statusCode()).isEqualTo(400);
      HttpResponse<String> delete = gw.post("/user/delete", "{\"user_idz\":[\"u\"]}");
      assertThat(delete.statusCode()).isEqualTo(400);
      assertThat(json(delete).at("/error/param").asText()).isEqualTo("user_idz");
    }
  }

  /** LiteLLM's "upgrade/downgrade models" per key: {"models": ["free-tier"], "aliases": {"free-tier": "priced"}}. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void aKeysModelAliasesRouteItsRequestsAndItsModelListShowsThem(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      String key = generate(gw, "{\"models\":[\"free-tier\"],\"aliases\":{\"free-tier\":\"priced\"}}");
      HttpResponse<String> viaAlias = gw.post("/v1/chat/completions", CHAT.replace("priced", "free-tier"), key);
      assertThat(viaAlias.statusCode()).as(viaAlias.body()).isEqualTo(200);
      assertThat(viaAlias.headers().firstValue("x-litellm-model-group")).hasValue("priced");
      assertThat(viaAlias.headers().firstValue("x-litellm-response-cost")).hasValue("0.02");
      assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).as("the target by its own name is not in models").isEqualTo(401);
      assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "free-tier"), TestGateway.MASTER_KEY).statusCode())
          .as("an alias is the key's own").isEqualTo(400);

      assertThat(json(gw.get("/v1/models", key)).findValuesAsText("id")).containsExactly("free-tier");
      String cheapKey = generate(gw, "{\"models\":[\"cheap\"]}");
      assertThat(json(gw.get("/v1/models", cheapKey)).findValuesAsText("id")).as("by access group").containsExactly("priced");
      assertThat(json(gw.get("/v1/models", TestGateway.MASTER_KEY)).findValuesAsText("id")).containsExactlyInAnyOrder("priced", "other");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void twoHundredConcurrentCallsAgainstABudgetForFiftyNeverOvershoot(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      String key = generate(gw, "{\"max_budget\":1.0}");
      AtomicInteger ok = new AtomicInteger();
      double billed = 0;
      for (HttpResponse<String> r : concurrently(gw, 200, "/v1/chat/completions", CHAT, key)) {
        if (r.statusCode() == 200) {
          ok.incrementAndGet();
          billed += Double.parseDouble(r.headers().firstValue("x-litellm-response-cost").orElseThrow());
        } else {
          assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
          assertThat(json(r).at("/error/type").asText()).isEqualTo("budget_exceeded");
        }
      }
      assertThat(ok.get()).isEqualTo(50);
      assertThat(billed).isLessThanOrEqualTo(1.0 + 1e-9);
      long deadline = System.currentTimeMillis() + 10_000;
      while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < ok.get() && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertThat(db.scalar("SELECT spend FROM tg_entity WHERE kind = 'key'")).isCloseTo(billed, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  /** A call refused for its budget was never made: it takes nothing from the key's requests per minute (Redis or not). */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aCallRefusedForItsBudgetDoesNotCountAgainstTheRateLimit(boolean withRedis) throws Exception {
    try (TestDatabase db = TestDatabase.create(Backend.SQLITE); RedisServer redis = withRedis ? RedisServer.start() : null) {
      Map<String, String> env = new java.util.HashMap<>(db.env());
      if (redis != null) {
        env.put("REDIS_URL", redis.url());
      }
      try (TestGateway gw = TestGateway.start(yaml(), env)) {
        String key = generate(gw, "{\"rpm_limit\":1,\"max_budget\":0.001}");
        CalendarMinute.awaitRoomFor(5);
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> over = gw.post("/v1/chat/completions", CHAT, key);
          assertThat(over.statusCode()).as(over.body()).isEqualTo(400);
          assertThat(json(over).at("/error/type").asText()).isEqualTo("budget_exceeded");
        }
        assertThat(gw.post("/key/update", "{\"key\":\"" + key + "\",\"max_budget\":1.0}").statusCode()).isEqualTo(200);
        HttpResponse<String> first = gw.post("/v1/chat/completions", CHAT, key);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).as("the one request of this minute is used").isEqualTo(429);
      }
    }
  }

  /** As LiteLLM: an end user is known by its first spend, without /customer/new. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void anEndUserIsCreatedByItsFirstSpend(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      String asNewcomer = CHAT.replace("{\"model\"", "{\"user\":\"newcomer\",\"model\"");
      assertThat(gw.post("/v1/chat/completions", asNewcomer, TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", asNewcomer, TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
      long deadline = System.currentTimeMillis() + 10_000;
      HttpResponse<String> info = gw.get("/customer/info?end_user_id=newcomer");
      while ((info.statusCode() != 200 || json(info).findValue("spend").asDouble() < 0.04) && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
        info = gw.get("/customer/info?end_user_id=newcomer");
      }
      assertThat(info.statusCode()).as(info.body()).isEqualTo(200);
      assertThat(json(info).findValue("spend").asDouble()).isCloseTo(0.04, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void rateLimitsAnswer429WithRetryAfterAndRemainingHeaders(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      String key = generate(gw, "{\"rpm_limit\":2}");
      CalendarMinute.awaitRoomFor(5);
      HttpResponse<String> first = gw.post("/v1/chat/completions", CHAT, key);
      assertThat(first.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("1");
      assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(200);
      HttpResponse<String> third = gw.post("/v1/chat/completions", CHAT, key);
      assertThat(third.statusCode()).isEqualTo(429);
      assertThat(third.headers().firstValue("retry-after")).isPresent();
    }
  }

  /** Sends the same request {@code n} times at once; the responses in order. */
  static List<HttpResponse<String>> concurrently(TestGateway gw, int n, String path, String body, String key) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gw.url() + path))
          .header("authorization", "Bearer " + key).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> out = new ArrayList<>();
    for (var f : calls) {
      out.add(f.get());
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void theModelsOfAKeysUserRestrictItAsTheKeysAndTeamsDo(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      assertThat(gw.post("/user/new", "{\"user_id\":\"bob\",\"models\":[\"priced\"],\"auto_create_key\":false}").statusCode()).isEqualTo(200);
      String key = generate(gw, "{\"user_id\":\"bob\"}");
      assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(200);
      HttpResponse<String> denied = gw.post("/v1/chat/completions", CHAT.replace("priced", "other"), key);
      assertThat(denied.statusCode()).isEqualTo(401);
      assertThat(json(denied).at("/error/type").asText()).isEqualTo("key_model_access_denied");
      assertThat(json(denied).at("/error/message").asText()).startsWith("User bob not allowed to access model").contains("models=[priced]");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anExpiredKeyIsRefusedAsLiteLlmDoes400ExpiredKey(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      String key = generate(gw, "{\"expires\":\"2020-01-01T00:00:00Z\"}");
      HttpResponse<String> r = gw.post("/v1/chat/completions", CHAT, key);
      assertThat(r.statusCode()).isEqualTo(400);
      JsonNode error = json(r).get("error");
      assertThat(error.get("type").asText()).isEqualTo("expired_key");
      assertThat(error.get("code").asText()).isEqualTo("400");
      assertThat(error.get("param").isNull()).as("the key is not echoed").isTrue();
      assertThat(error.get("message").asText())
          .startsWith("Authentication Error - Expired Key. Key Expiry time 2020-01-01T00:00:00Z and current time ").doesNotContain(key);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void duringTheGracePeriodTheOldAndNewKeyShareOneBudgetAndOneRateLimit(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      String old = generate(gw, "{\"max_budget\":0.1}");
      String fresh = json(gw.post("/key/regenerate", "{\"key\":\"" + old + "\",\"grace_period\":\"1h\"}")).get("key").asText();
      int ok = 0;
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> r = gw.post("/v1/chat/completions", CHAT, i % 2 == 0 ? old : fresh);
        if (r.statusCode() == 200) {
          ok++;
        } else {
          assertThat(json(r).at("/error/type").asText()).as(r.body()).isEqualTo("budget_exceeded");
        }
      }
      assertThat(ok).as("0.1 buys five calls at 0.02, whichever secret makes them").isEqualTo(5);
      assertThat(json(gw.get("/key/info?key=" + fresh)).at("/info/spend").asDouble()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(gw.get("/key/info?key=" + old, old).statusCode()).as("the old key may still read its own info").isEqualTo(200);

      String limited = generate(gw, "{\"rpm_limit\":2}");
      String limitedFresh = json(gw.post("/key/regenerate", "{\"key\":\"" + limited + "\",\"grace_period\":\"1h\"}")).get("key").asText();
      CalendarMinute.awaitRoomFor(5);
      assertThat(gw.post("/v1/chat/completions", CHAT, limited).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, limitedFresh).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, limited).statusCode()).as("one rpm window for both secrets").isEqualTo(429);

      assertThat(gw.post("/key/delete", "{\"keys\":[\"" + limitedFresh + "\"]}").statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, limited).statusCode()).as("the old secret goes with its successor").isEqualTo(401);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void keyAliasesAreUniqueEvenWhenTenGeneratesRaceForOne(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      List<HttpResponse<String>> all = concurrently(gw, 10, "/key/generate", "{\"key_alias\":\"same-alias\"}", TestGateway.MASTER_KEY);
      assertThat(all).filteredOn(r -> r.statusCode() == 200).hasSize(1);
      for (HttpResponse<String> r : all.stream().filter(r -> r.statusCode() != 200).toList()) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(json(r).at("/error/message").asText())
            .isEqualTo("Key with alias 'same-alias' already exists. Unique key aliases across all keys are required.");
        assertThat(json(r).at("/error/param").asText()).isEqualTo("key_alias");
      }
      String other = generate(gw, "{\"key_alias\":\"other-alias\"}");
      assertThat(gw.post("/key/update", "{\"key\":\"" + other + "\",\"key_alias\":\"same-alias\"}").statusCode()).isEqualTo(400);
      assertThat(gw.post("/key/update", "{\"key\":\"" + other + "\",\"key_alias\":\"other-alias\",\"max_budget\":1}").statusCode())
          .as("a key keeps its own alias").isEqualTo(200);
      assertThat(gw.post("/key/regenerate", "{\"key\":\"" + other + "\"}").statusCode()).as("its successor takes it over").isEqualTo(200);
      assertThat(json(gw.get("/key/list?key_alias=same-alias")).get("total_count").asInt()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anIdThatExistsIs400NamingItAndNeverMakesTheDatabaseLookDown(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      assertThat(gw.post("/team/new", "{\"team_id\":\"t1\"}").statusCode()).isEqualTo(200);
      HttpResponse<String> again = gw.post("/team/new", "{\"team_id\":\"t1\"}");
      assertThat(again.statusCode()).isEqualTo(400);
      assertThat(json(again).at("/error/message").asText()).isEqualTo("team 't1' already exists");

      CompletableFuture<List<HttpResponse<String>>> duplicates = CompletableFuture.supplyAsync(() -> {
        try {
          return concurrently(gw, 30, "/user/new", "{\"user_id\":\"u1\",\"auto_create_key\":false}", TestGateway.MASTER_KEY);
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      List<HttpResponse<String>> unknown = concurrently(gw, 100, "/v1/chat/completions", CHAT, "sk-not-a-key");
      assertThat(duplicates.get()).extracting(HttpResponse::statusCode).containsOnly(200, 400).containsOnlyOnce(200);
      assertThat(unknown).extracting(HttpResponse::statusCode).as("an unknown key is a 401, never a 503").containsOnly(401);
      assertThat(json(gw.get("/health/readiness")).findValue("db").asText()).isEqualTo("connected");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void userRoleIsCheckedOnUpdateAsOnCreate(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      assertThat(gw.post("/user/new", "{\"user_id\":\"bob\",\"user_role\":\"internal_user\",\"auto_create_key\":false}").statusCode()).isEqualTo(200);
      for (String path : List.of("/user/new", "/user/update")) {
        HttpResponse<String> r = gw.post(path, "{\"user_id\":\"bob\",\"user_role\":\"god\"}");
        assertThat(r.statusCode()).as(path).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo("user_role");
      }
      assertThat(gw.post("/user/update", "{\"user_id\":\"bob\",\"user_role\":\"proxy_admin_viewer\"}").statusCode()).isEqualTo(200);
      assertThat(json(gw.get("/user/info?user_id=bob")).at("/user_info/user_role").asText()).isEqualTo("proxy_admin_viewer");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aTeamMemberIsAddedOnce(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = TestGateway.start(yaml(), db.env())) {
      assertThat(gw.post("/team/new", "{\"team_id\":\"t1\"}").statusCode()).isEqualTo(200);
      String add = "{\"team_id\":\"t1\",\"member\":{\"role\":\"user\",\"user_id\":\"bob\"}}";
      assertThat(gw.post("/team/member_add", add).statusCode()).isEqualTo(200);
      HttpResponse<String> again = gw.post("/team/member_add", add);
      assertThat(again.statusCode()).isEqualTo(400);
      assertThat(json(again).at("/error/message").asText()).startsWith("User=bob already in team");
      HttpResponse<String> twiceInOne = gw.post("/team/member_add", "{\"team_id\":\"t1\",\"member\":[{\"user_email\":\"a@x.io\"},{\"user_email\":\"a@x.io\"}]}");
      assertThat(twiceInOne.statusCode()).isEqualTo(400);
      assertThat(json(gw.get("/team/info?team_id=t1")).at("/team_info/members_with_roles").findValuesAsText("role")).hasSize(1);

      // as LiteLLM: the member's user is created and lists the team, until it leaves
      assertThat(json(gw.get("/user/info?user_id=bob")).at("/user_info/teams").toString()).isEqualTo("[\"t1\"]");
      assertThat(gw.post("/team/member_delete", "{\"team_id\":\"t1\",\"user_id\":\"bob\"}").statusCode()).isEqualTo(200);
      assertThat(json(gw.get("/user/info?user_id=bob")).at("/user_info/teams").toString()).isEqualTo("[]");
      HttpResponse<String> perMemberBudget = gw.post("/team/member_add",
          "{\"team_id\":\"t1\",\"member\":{\"user_id\":\"carol\"},\"max_budget_in_team\":5}");
      assertThat(perMemberBudget.statusCode()).as("refused, not accepted and ignored").isEqualTo(400);
      assertThat(json(perMemberBudget).at("/error/param").asText()).isEqualTo("max_budget_in_team");
    }
  }
}
