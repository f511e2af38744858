package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tollgate.auth.ApiKeys;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.json.Json;
import dev.tollgate.observe.exporter.MetricsExporter;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import dev.tollgate.testing.TollgateProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code tollgate metrics-exporter} on the database a gateway wrote: exact values and labels per
 * key, team, user, end user, model and day, budgets, across a gateway restart; on SQLite and the
 * real PostgreSQL.
 */
class MetricsExporterTest {
  static final String TODAY = LocalDate.now(ZoneOffset.UTC).toString();

  /** {@link LlmUpstream} answers 10 prompt + 5 completion tokens: alpha costs 10 × 0.001 + 5 × 0.002 = 0.02 a call, beta 0.002. */
  static String yaml(FakeUpstream upstream) {
    return """
        model_list:
          - model_name: alpha
            litellm_params: {model: openai/gpt-4o-mini, api_base: %1$s/v1, api_key: up}
            model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.002}
          - model_name: beta
            litellm_params: {model: openai/gpt-4o-mini, api_base: %1$s/v1, api_key: up}
            model_info: {input_cost_per_token: 0.0001, output_cost_per_token: 0.0002}
        general_settings:
          proxy_batch_write_at: 0.1
        """.formatted(upstream.url());
  }

  static MetricsExporter exporter(TestDatabase db, int maxSeries, int cacheSeconds) {
    return MetricsExporter.start(GatewayConfig.empty(new Environment(db.env())),
        new MetricsExporter.Options("127.0.0.1", 0, 7, cacheSeconds, maxSeries));
  }

  static HttpResponse<String> get(MetricsExporter e, String path) {
    return TestGateway.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.port() + path)).timeout(Duration.ofSeconds(20)).build());
  }

  static Scrape scrape(MetricsExporter e) {
    HttpResponse<String> r = get(e, "/metrics");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    return Scrape.parse(r.body());
  }

  static void chat(TestGateway gw, String key, String model, String endUser) {
    String user = endUser == null ? "" : ",\"user\":\"" + endUser + "\"";
    HttpResponse<String> r = gw.post("/v1/chat/completions", "{\"model\":\"" + model + "\"" + user + ",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", key);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  static void awaitSpendRows(TestDatabase db, int rows) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < rows) {
      assertThat(System.nanoTime()).as("spend rows written").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  static String newKey(TestGateway gw, String body) throws Exception {
    HttpResponse<String> r = gw.post("/key/generate", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Json.MAPPER.readTree(r.body()).get("key").asText();
  }

  static Map<String, String> key(String hash, String alias, String model, String day) {
    return Map.of("hashed_api_key", hash, "api_key_alias", alias, "model", model, "day", day);
  }

  static Map<String, String> with(Map<String, String> labels, String name, String value) {
    Map<String, String> m = new HashMap<>(labels);
    m.put(name, value);
    return m;
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void exportsSpendRequestsTokensAndBudgetsFromTheDatabaseAcrossAGatewayRestart(Backend backend) throws Exception {
    try (FakeUpstream upstream = LlmUpstream.start(); TestDatabase db = TestDatabase.create(backend)) {
      String k1;
      String k2;
      try (TestGateway gw = TestGateway.start(yaml(upstream), db.env())) {
        assertThat(gw.post("/team/new", "{\"team_id\":\"t-search\",\"team_alias\":\"search\",\"max_budget\":10,\"budget_duration\":\"30d\"}")
            .statusCode()).isEqualTo(200);
        k1 = newKey(gw, "{\"key_alias\":\"k-one\",\"team_id\":\"t-search\",\"max_budget\":1}");
        k2 = newKey(gw, "{\"key_alias\":\"k-two\",\"user_id\":\"u-2\",\"max_budget\":5}");
        chat(gw, k1, "alpha", null);
        chat(gw, k1, "alpha", null);
        chat(gw, k1, "beta", null);
        chat(gw, k2, "beta", "cust-9");
        awaitSpendRows(db, 4);
      }
      String h1 = ApiKeys.sha256Hex(k1);
      String h2 = ApiKeys.sha256Hex(k2);
      // rows written days ago by the daily aggregation: inside the 7-day window, and outside it
      String sixDaysAgo = LocalDate.now(ZoneOffset.UTC).minusDays(6).toString();
      try (Connection c = db.connect(); var s = c.createStatement()) {
        s.executeUpdate("INSERT INTO tg_daily_spend (day, kind, id, model, spend, prompt_tokens, completion_tokens, api_requests) VALUES "
            + "('" + sixDaysAgo + "', 'key', '" + h1 + "', 'alpha', 0.5, 100, 50, 7), "
            + "('" + LocalDate.now(ZoneOffset.UTC).minusDays(7) + "', 'key', '" + h1 + "', 'alpha', 0.25, 1, 1, 1)");
      }

      // the gateway is gone: everything comes from the database
      try (MetricsExporter exporter = exporter(db, 10_000, 0)) {
        Scrape m = scrape(exporter);
        assertThat(m.text()).doesNotContain(k1).doesNotContain(k2).doesNotContain(TestGateway.MASTER_KEY);

        assertThat(m.value("tollgate_db_api_key_spend_usd", key(h1, "k-one", "alpha", TODAY))).isCloseTo(0.04, within(1e-12));
        assertThat(m.value("tollgate_db_api_key_spend_usd", key(h1, "k-one", "beta", TODAY))).isCloseTo(0.002, within(1e-12));
        assertThat(m.value("tollgate_db_api_key_spend_usd", key(h2, "k-two", "beta", TODAY))).isCloseTo(0.002, within(1e-12));
        assertThat(m.value("tollgate_db_api_key_spend_usd", key(h1, "k-one", "alpha", sixDaysAgo))).isEqualTo(0.5);
        assertThat(m.series("tollgate_db_api_key_spend_usd")).hasSize(4); // the row of 7 days ago is outside the window
        assertThat(m.value("tollgate_db_api_key_requests", key(h1, "k-one", "alpha", TODAY))).isEqualTo(2);
        assertThat(m.value("tollgate_db_api_key_requests", key(h1, "k-one", "beta", TODAY))).isEqualTo(1);
        assertThat(m.value("tollgate_db_api_key_tokens", with(key(h1, "k-one", "alpha", TODAY), "token_type", "input"))).isEqualTo(20);
        assertThat(m.value("tollgate_db_api_key_tokens", with(key(h1, "k-one", "alpha", TODAY), "token_type", "output"))).isEqualTo(10);

        Map<String, String> teamAlpha = Map.of("team", "t-search", "team_alias", "search", "model", "alpha", "day", TODAY);
        assertThat(m.value("tollgate_db_team_spend_usd", teamAlpha)).isCloseTo(0.04, within(1e-12));
        assertThat(m.value("tollgate_db_team_requests", teamAlpha)).isEqualTo(2);
        assertThat(m.series("tollgate_db_team_spend_usd")).hasSize(2);
        Map<String, String> userBeta = Map.of("user", "u-2", "model", "beta", "day", TODAY);
        assertThat(m.value("tollgate_db_user_spend_usd", userBeta)).isCloseTo(0.002, within(1e-12));
        assertThat(m.value("tollgate_db_user_requests", userBeta)).isEqualTo(1);
        Map<String, String> endUserBeta = Map.of("end_user", "cust-9", "model", "beta", "day", TODAY);
        assertThat(m.value("tollgate_db_end_user_spend_usd", endUserBeta)).isCloseTo(0.002, within(1e-12));
        assertThat(m.value("tollgate_db_end_user_tokens", with(endUserBeta, "token_type", "output"))).isEqualTo(5);

        Map<String, String> key1 = Map.of("hashed_api_key", h1, "api_key_alias", "k-one");
        Map<String, String> key2 = Map.of("hashed_api_key", h2, "api_key_alias", "k-two");
        Map<String, String> team = Map.of("team", "t-search", "team_alias", "search");
        assertThat(m.value("litellm_api_key_max_budget_metric", key1)).isEqualTo(1);
        assertThat(m.value("tollgate_db_api_key_remaining_budget_usd", key1)).isCloseTo(1 - 0.042, within(1e-12));
        assertThat(m.value("litellm_api_key_max_budget_metric", key2)).isEqualTo(5);
        assertThat(m.value("tollgate_db_api_key_remaining_budget_usd", key2)).isCloseTo(5 - 0.002, within(1e-12));
        assertThat(m.value("litellm_team_max_budget_metric", team)).isEqualTo(10);
        assertThat(m.value("tollgate_db_team_remaining_budget_usd", team)).isCloseTo(10 - 0.042, within(1e-12));
        double resetAt = db.scalar("SELECT budget_reset_at FROM tg_entity WHERE kind = 'team' AND id = 't-search'");
        assertThat(resetAt).isPositive();
        assertThat(m.value("litellm_team_budget_remaining_hours_metric", team))
            .isCloseTo((resetAt - System.currentTimeMillis()) / 3_600_000.0, within(0.01));
        assertThat(m.series("litellm_api_key_budget_remaining_hours_metric")).isEmpty(); // no budget_duration on the keys
        assertThat(m.type("tollgate_db_api_key_spend_usd")).isEqualTo("gauge");
        assertThat(m.value("tollgate_db_exporter_truncated", Map.of())).isZero();
        m.assertPromtoolAccepts();

        // a new gateway process on the same database: totals go on from where they were
        try (TestGateway gw = TestGateway.start(yaml(upstream), db.env())) {
          chat(gw, k2, "alpha", null);
          awaitSpendRows(db, 5);
        }
        Scrape after = scrape(exporter);
        assertThat(after.value("tollgate_db_api_key_spend_usd", key(h2, "k-two", "alpha", TODAY))).isCloseTo(0.02, within(1e-12));
        assertThat(after.value("tollgate_db_api_key_spend_usd", key(h1, "k-one", "alpha", TODAY))).isCloseTo(0.04, within(1e-12));
        assertThat(after.value("tollgate_db_user_requests", Map.of("user", "u-2", "model", "alpha", "day", TODAY))).isEqualTo(1);
        assertThat(after.value("tollgate_db_api_key_remaining_budget_usd", key2)).isCloseTo(5 - 0.022, within(1e-12));

        assertThat(get(exporter, "/health").statusCode()).isEqualTo(200);
      }

      // --max-series bounds what one read returns: the biggest rows stay, and the cut is reported;
      // --cache-seconds: scrapes within the period reuse the read
      try (MetricsExporter small = exporter(db, 1, 60)) {
        Scrape m = scrape(small);
        assertThat(m.series("tollgate_db_api_key_spend_usd")).hasSize(1);
        assertThat(m.value("tollgate_db_api_key_spend_usd", key(h1, "k-one", "alpha", sixDaysAgo))).isEqualTo(0.5);
        assertThat(m.value("tollgate_db_exporter_truncated", Map.of())).isEqualTo(1);
        try (Connection c = db.connect(); var s = c.createStatement()) {
          s.executeUpdate("UPDATE tg_daily_spend SET spend = 0.75 WHERE day = '" + sixDaysAgo + "'");
        }
        assertThat(scrape(small).text()).isEqualTo(m.text());
      }
    }
  }

  @Test
  void healthAndMetricsSay503WhileTheDatabaseIsDown() throws Exception {
    int closed = TollgateProcess.freePort();
    Environment env = new Environment(Map.of("DATABASE_URL", "postgresql://tollgate:tollgate@127.0.0.1:" + closed + "/none"));
    try (MetricsExporter e = MetricsExporter.start(GatewayConfig.empty(env), new MetricsExporter.Options("127.0.0.1", 0, 7, 0, 100))) {
      HttpResponse<String> health = get(e, "/health");
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body()).contains("\"db\":\"disconnected\"").doesNotContain("tollgate:tollgate");
      assertThat(get(e, "/metrics").statusCode()).isEqualTo(503);
    }
  }
}
