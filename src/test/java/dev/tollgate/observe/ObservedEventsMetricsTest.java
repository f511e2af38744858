package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.auth.ApiKeys;
import dev.tollgate.json.Json;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The metrics other parts report: cache hits and misses (response cache), cool-downs (router),
 * budget left to a key and its team (budget accounting), and the owners of a virtual key and the
 * end user in every per-call series (from the in-memory accounts), after a known sequence of calls.
 */
class ObservedEventsMetricsTest {
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(
      upstream -> LlmUpstream.install(upstream)
          .onPost("/limited/chat/completions", rc -> rc.response().setStatusCode(429)
              .putHeader("content-type", "application/json").end("{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}")),
      url -> """
          model_list:
            - model_name: gpt-test
              litellm_params: {model: openai/gpt-4o-mini, api_base: %1$s/v1, api_key: up}
              model_info: {id: test-one}
            - model_name: balanced
              litellm_params: {model: openai/gpt-4o-mini, api_base: %1$s/limited, api_key: up, order: 1}
              model_info: {id: limited-one}
            - model_name: balanced
              litellm_params: {model: openai/gpt-4o-mini, api_base: %1$s/v1, api_key: up, order: 2}
              model_info: {id: healthy-one}
          litellm_settings:
            callbacks: ["prometheus"]
            num_retries: 1
            cache: true
            cache_params: {type: local}
            enable_end_user_cost_tracking_prometheus_only: true
          """.formatted(url));
  static String virtualKey;
  static double budgetCallCost;
  static Scrape scrape;

  @BeforeAll
  static void sequence() {
    for (int i = 0; i < 2; i++) {
      assertThat(gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("cache me", false)).statusCode()).isEqualTo(200);
    }
    // the 429 cools the preferred deployment down; the retry goes to the other one
    var balanced = gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("hello", false).replace("gpt-test", "balanced"));
    assertThat(balanced.statusCode()).as(balanced.body()).isEqualTo(200);

    assertThat(gw.gateway.post("/team/new", "{\"team_id\":\"t-obs\",\"team_alias\":\"obs-team\",\"max_budget\":2.0}").statusCode())
        .isEqualTo(200);
    assertThat(gw.gateway.post("/user/new", "{\"user_id\":\"u-obs\",\"auto_create_key\":false}").statusCode()).isEqualTo(200);
    var generated = gw.gateway.post("/key/generate",
        "{\"team_id\":\"t-obs\",\"user_id\":\"u-obs\",\"key_alias\":\"obs-key\",\"max_budget\":1.0}");
    assertThat(generated.statusCode()).as(generated.body()).isEqualTo(200);
    JsonNode key = Json.tryParse(Buffer.buffer(generated.body()));
    virtualKey = key.get("key").asText();
    var priced = gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("spend", false), virtualKey);
    assertThat(priced.statusCode()).as(priced.body()).isEqualTo(200);
    budgetCallCost = Double.parseDouble(priced.headers().firstValue("x-litellm-response-cost").orElseThrow());
    assertThat(gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("spend", false).replace("gpt-test", "no-such-model"),
        virtualKey).statusCode()).isEqualTo(400);

    // the end user spend tracking charges: x-litellm-customer-id first, else the body's "user"
    String asBodyUser = LlmUpstream.chat("who am i", false).replace("{\"model\"", "{\"user\":\"body-user\",\"model\"");
    var byHeader = TestGateway.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("x-litellm-customer-id", "header-customer")
        .POST(HttpRequest.BodyPublishers.ofString(asBodyUser)).build());
    assertThat(byHeader.statusCode()).as(byHeader.body()).isEqualTo(200);
    assertThat(gw.gateway.post("/v1/chat/completions", asBodyUser.replace("who am i", "and now")).statusCode()).isEqualTo(200);

    scrape = Scrape.parse(gw.gateway.get("/metrics", null).body());
  }

  /** The labels of the virtual key's calls: its hash, alias, team, team alias and user. */
  static Map<String, String> keyLabels(String... extra) {
    Map<String, String> m = PrometheusMetricsTest.callLabels(extra);
    m.put("hashed_api_key", ApiKeys.sha256Hex(virtualKey));
    m.put("api_key_alias", "obs-key");
    m.put("team", "t-obs");
    m.put("team_alias", "obs-team");
    m.put("user", "u-obs");
    return m;
  }

  @Test
  void aVirtualKeysCallsCarryItsAliasTeamAndUser() {
    assertThat(scrape.value("litellm_proxy_total_requests_metric_total", keyLabels("requested_model", "gpt-test", "status_code", "200")))
        .isEqualTo(1.0);
    assertThat(scrape.value("litellm_spend_metric_total", keyLabels("model", "gpt-4o-mini"))).isCloseTo(budgetCallCost, within(1e-12));
    Map<String, String> tokens = keyLabels("model", "gpt-4o-mini", "requested_model", "gpt-test");
    assertThat(scrape.value("litellm_total_tokens_metric_total", tokens)).isEqualTo(15.0);
    assertThat(scrape.value("litellm_request_total_latency_metric_count", tokens)).isEqualTo(1.0);
    assertThat(scrape.value("litellm_llm_api_latency_metric_count", tokens)).isEqualTo(1.0);
    assertThat(scrape.value("litellm_cache_misses_metric_total", keyLabels("model", "gpt-test"))).isEqualTo(1.0);
    Map<String, String> deployment = keyLabels("requested_model", "gpt-test", "litellm_model_name", "openai/gpt-4o-mini",
        "model_id", "test-one", "api_base", gw.upstream.url() + "/v1", "api_provider", "openai");
    deployment.remove("end_user");
    deployment.remove("user");
    assertThat(scrape.value("litellm_deployment_success_responses_total", deployment)).isEqualTo(1.0);
    assertThat(scrape.value("litellm_deployment_total_requests_total", deployment)).isEqualTo(1.0);
    // refused before a call was made (unknown model): the key's owners are known all the same
    assertThat(scrape.value("litellm_proxy_failed_requests_metric_total", keyLabels("requested_model", "None",
        "exception_status", "400", "exception_class", "BadRequestError"))).isEqualTo(1.0);
    // no series of the key's calls is left without its owners
    assertThat(scrape.samples().stream().filter(s -> ApiKeys.sha256Hex(virtualKey).equals(s.labels().get("hashed_api_key"))
        && s.labels().containsKey("team")))
        .isNotEmpty().allSatisfy(s -> assertThat(s.labels()).as(s.name()).containsEntry("api_key_alias", "obs-key")
            .containsEntry("team", "t-obs").containsEntry("team_alias", "obs-team"));
  }

  @Test
  void theEndUserIsTheCustomerHeaderElseTheBodysUser() {
    Map<String, String> header = PrometheusMetricsTest.callLabels("end_user", "header-customer", "requested_model", "gpt-test",
        "status_code", "200");
    assertThat(scrape.value("litellm_proxy_total_requests_metric_total", header)).isEqualTo(1.0);
    assertThat(scrape.value("litellm_spend_metric_total", PrometheusMetricsTest.callLabels("end_user", "header-customer",
        "model", "gpt-4o-mini"))).isPositive();
    Map<String, String> body = new LinkedHashMap<>(header);
    body.put("end_user", "body-user");
    assertThat(scrape.value("litellm_proxy_total_requests_metric_total", body)).isEqualTo(1.0);
  }

  @Test
  void identicalCallsAreOneMissThenOneHit() {
    Map<String, String> labels = PrometheusMetricsTest.callLabels("model", "gpt-test");
    assertThat(scrape.value("litellm_cache_hits_metric_total", labels)).isEqualTo(1.0);
    assertThat(scrape.value("litellm_cache_misses_metric_total", labels)).isEqualTo(1.0);
    assertThat(gw.upstream.received().stream().filter(r -> r.bodyString().contains("cache me")).count()).isEqualTo(1);
  }

  @Test
  void aDeploymentCooledDownByA429IsCounted() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("litellm_model_name", "openai/gpt-4o-mini");
    labels.put("model_id", "limited-one");
    labels.put("api_base", gw.upstream.url() + "/limited");
    labels.put("api_provider", "openai");
    labels.put("exception_status", "429");
    assertThat(scrape.value("litellm_deployment_cooled_down_total", labels)).isEqualTo(1.0);
    assertThat(scrape.series("litellm_deployment_cooled_down_total")).hasSize(1);
  }

  @Test
  void remainingBudgetsOfTheKeyAndItsTeamAreTheirMaxBudgetMinusTheCallsCost() {
    assertThat(budgetCallCost).isPositive();
    assertThat(scrape.value("litellm_remaining_api_key_budget_metric",
        Map.of("hashed_api_key", ApiKeys.sha256Hex(virtualKey), "api_key_alias", "obs-key")))
        .isCloseTo(1.0 - budgetCallCost, within(1e-9));
    assertThat(scrape.value("litellm_remaining_team_budget_metric", Map.of("team", "t-obs", "team_alias", "obs-team")))
        .isCloseTo(2.0 - budgetCallCost, within(1e-9));
    // the master key has no budget: no gauge for it
    assertThat(scrape.series("litellm_remaining_api_key_budget_metric")).hasSize(1);
    assertThat(scrape.text()).doesNotContain(virtualKey);
  }
}
