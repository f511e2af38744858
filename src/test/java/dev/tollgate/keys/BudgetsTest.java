package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.CHAT;
import static dev.tollgate.keys.KeysTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Budgets of users, teams, end users, budgets by id, per model, periods that reset, and streamed calls settled. */
class BudgetsTest {
  final KeysTest setup = new KeysTest();

  @BeforeEach
  void upstream() {
    setup.upstream();
    setup.upstream.onPost("/v1/stream/chat/completions", rc -> rc.response().putHeader("content-type", "text/event-stream")
        .end("data: {\"id\":\"s\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n"
            + "data: {\"id\":\"s\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":10,\"total_tokens\":20}}\n\n"
            + "data: [DONE]\n\n"));
  }

  @AfterEach
  void stop() {
    setup.stop();
  }

  TestGateway start(TestDatabase db) {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("TOLLGATE_CACHE_REFRESH_SECONDS", "0.3");
    String yaml = setup.yaml().replace("model_list:\n", """
        model_list:
          - model_name: streamed
            litellm_params: {model: openai/m, api_base: %s/v1/stream, api_key: up}
            model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}
        """.formatted(setup.upstream.url()));
    return TestGateway.start(yaml, env);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void userTeamEndUserAndModelBudgetsAreEnforced(Backend backend) {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = start(db)) {
      assertThat(gw.post("/team/new", "{\"team_id\":\"t1\",\"max_budget\":0.04}").statusCode()).isEqualTo(200);
      assertThat(gw.post("/user/new", "{\"user_id\":\"u1\",\"max_budget\":0.02,\"auto_create_key\":false}").statusCode()).isEqualTo(200);
      String teamKey = KeysTest.generate(gw, "{\"team_id\":\"t1\"}");
      String userKey = KeysTest.generate(gw, "{\"user_id\":\"u1\"}");
      assertThat(gw.post("/v1/chat/completions", CHAT, userKey).statusCode()).isEqualTo(200);
      HttpResponse<String> overUser = gw.post("/v1/chat/completions", CHAT, userKey);
      assertThat(overUser.statusCode()).isEqualTo(400);
      assertThat(json(overUser).at("/error/message").asText()).contains("user u1");

      assertThat(gw.post("/v1/chat/completions", CHAT, teamKey).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, teamKey).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, teamKey).statusCode()).isEqualTo(400);
      assertThat(json(gw.get("/team/info?team_id=t1")).at("/team_info/spend").asDouble()).isCloseTo(0.04, Offset.offset(1e-9));

      // end users: by the request's "user" field, or x-litellm-customer-id; a budget by id
      assertThat(gw.post("/budget/new", "{\"budget_id\":\"tiny\",\"max_budget\":0.02}").statusCode()).isEqualTo(200);
      assertThat(gw.post("/customer/new", "{\"user_id\":\"cust\",\"budget_id\":\"tiny\"}").statusCode()).isEqualTo(200);
      String chatAsCustomer = CHAT.replace("{\"model\"", "{\"user\":\"cust\",\"model\"");
      assertThat(gw.post("/v1/chat/completions", chatAsCustomer, TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", chatAsCustomer, TestGateway.MASTER_KEY).statusCode()).isEqualTo(400);
      assertThat(TestGateway.send(HttpRequest.newBuilder(URI.create(gw.url() + "/v1/chat/completions"))
          .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("x-litellm-customer-id", "cust")
          .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build()).statusCode()).isEqualTo(400);
      assertThat(gw.post("/customer/block", "{\"user_ids\":[\"cust\"]}").statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", chatAsCustomer, TestGateway.MASTER_KEY).statusCode()).isEqualTo(403);

      String modelKey = KeysTest.generate(gw, "{\"model_max_budget\":{\"priced\":{\"budget_limit\":0.02}}}");
      assertThat(gw.post("/v1/chat/completions", CHAT, modelKey).statusCode()).isEqualTo(200);
      assertThat(gw.post("/v1/chat/completions", CHAT, modelKey).statusCode()).isEqualTo(400);
      // the budget is per model: another model still answers (its upstream only streams)
      String otherModel = CHAT.replace("priced", "streamed").replace("{\"model\"", "{\"stream\":true,\"model\"");
      assertThat(gw.post("/v1/chat/completions", otherModel, modelKey).statusCode()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aModelBudgetOfAKeyHoldsAcrossARestart(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend)) {
      String key;
      try (TestGateway gw = start(db)) {
        key = KeysTest.generate(gw, "{\"model_max_budget\":{\"priced\":{\"budget_limit\":0.03,\"time_period\":\"1d\"}}}");
        assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(200);
        assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(400);
      }
      try (TestGateway gw = start(db)) {
        HttpResponse<String> r = gw.post("/v1/chat/completions", CHAT, key);
        assertThat(r.statusCode()).as("0.02 of 0.03 spent today, read back from the daily totals").isEqualTo(400);
        assertThat(json(r).at("/error/message").asText()).contains("key on model priced");
        assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "other"), key).statusCode()).isEqualTo(200);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aBudgetPeriodResetsAndStreamedCallsAreSettledToTheirRealCost(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend); TestGateway gw = start(db)) {
      String key = KeysTest.generate(gw, "{\"max_budget\":0.03,\"budget_duration\":\"2s\"}");
      String stream = CHAT.replace("priced", "streamed").replace("{\"model\"", "{\"stream\":true,\"model\"");
      HttpResponse<String> streamed = gw.post("/v1/chat/completions", stream, key);
      assertThat(streamed.statusCode()).isEqualTo(200);
      assertThat(streamed.body()).contains("[DONE]");
      assertThat(streamed.headers().firstValue("x-litellm-response-cost"))
          .as("the headers went out before the stream's cost was known: none rather than a wrong 0").isEmpty();
      // 0.02 spent: another call may cost up to 0.02, which 0.03 cannot cover
      HttpResponse<String> refused = gw.post("/v1/chat/completions", CHAT, key);
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(json(refused).at("/error/message").asText()).contains("Lower max_tokens");
      HttpResponse<String> uncapped = gw.post("/v1/chat/completions", CHAT.replace("\"max_tokens\":10,", ""), key);
      assertThat(json(uncapped).at("/error/message").asText()).as("without max_tokens the whole output limit is reserved: say so")
          .contains("sets no max_tokens");
      long deadline = System.currentTimeMillis() + 10_000;
      int status = 0;
      while (status != 200 && System.currentTimeMillis() < deadline) {
        Thread.sleep(200);
        status = gw.post("/v1/chat/completions", CHAT, key).statusCode();
      }
      assertThat(status).as("the budget period ended: spend starts again from 0").isEqualTo(200);
      deadline = System.currentTimeMillis() + 10_000;
      while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < 2 && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertThat(db.scalar("SELECT SUM(spend) FROM tg_spend_log")).isCloseTo(0.04, Offset.offset(1e-9));
      assertThat(json(gw.get("/key/info?key=" + key)).at("/info/budget_reset_at").asText()).isNotEmpty();
    }
  }

  /** Spend of a period's last moments, not yet written when it ends, counts in that period: not in the next. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void spendNotYetWrittenWhenABudgetPeriodEndsCountsInThatPeriod(Backend backend) throws Exception {
    try (TestDatabase db = TestDatabase.create(backend)) {
      Map<String, String> env = new HashMap<>(db.env());
      env.put("TOLLGATE_CACHE_REFRESH_SECONDS", "0.3");
      // the writer's own batches are a minute apart: only the period's end (or the stop) writes the row
      try (TestGateway gw = TestGateway.start(setup.yaml().replace("proxy_batch_write_at: 0.2", "proxy_batch_write_at: 60"), env)) {
        String key = KeysTest.generate(gw, "{\"max_budget\":1.0,\"budget_duration\":\"2s\"}");
        assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(200);
        Thread.sleep(3_000); // the 2 s period ended once (the next end is over a second away)
      }
      assertThat(db.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(1.0);
      assertThat(db.scalar("SELECT spend FROM tg_entity WHERE kind = 'key'")).as("the call counts in the period that ended").isEqualTo(0.0);
    }
  }
}
