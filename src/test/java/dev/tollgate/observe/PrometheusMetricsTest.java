package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.auth.ApiKeys;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** /metrics after a known sequence of calls: LiteLLM's names, types, labels, buckets and exact values. */
class PrometheusMetricsTest {
  static final String PROVIDER_KEY = "sk-provider-zz9-plural-z-alpha";
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(
      LlmUpstream::install, url -> yaml(url, ""));
  static Scrape scrape;

  static String yaml(FakeUpstream upstream, String extraLitellmSettings) {
    return yaml(upstream.url(), extraLitellmSettings);
  }

  static String yaml(String upstreamUrl, String extraLitellmSettings) {
    return """
        model_list:
          - model_name: gpt-test
            litellm_params:
              model: openai/gpt-4o-mini
              api_base: %s/v1
              api_key: %s
        litellm_settings:
          callbacks: ["prometheus"]
          num_retries: 0
        %s
        """.formatted(upstreamUrl, PROVIDER_KEY, extraLitellmSettings);
  }

  @BeforeAll
  static void sequence() {
    assertThat(gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("hello", false)).statusCode()).isEqualTo(200);
    assertThat(gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("please fail", false)).statusCode()).isEqualTo(500);
    var streamed = gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("hello", true));
    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(streamed.body()).contains("[DONE]");
    // refused before they become a call: still requests the client got no success for
    assertThat(gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("hello", false), "sk-no-such-key").statusCode())
        .isEqualTo(401);
    assertThat(gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("hello", false).replace("gpt-test", "no-such-model"))
        .statusCode()).isEqualTo(400);
    var metrics = gw.gateway.get("/metrics", null);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
    scrape = Scrape.parse(metrics.body());
  }

  static Map<String, String> callLabels(String... extra) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("end_user", "None");
    m.put("hashed_api_key", ApiKeys.sha256Hex(TestGateway.MASTER_KEY));
    m.put("api_key_alias", "None");
    m.put("team", "None");
    m.put("team_alias", "None");
    m.put("user", "None");
    for (int i = 0; i < extra.length; i += 2) {
      m.put(extra[i], extra[i + 1]);
    }
    return m;
  }

  @Test
  void proxyRequestsAndFailuresCountEachClientCall() {
    assertThat(scrape.type("litellm_proxy_total_requests_metric_total")).isEqualTo("counter");
    assertThat(scrape.value("litellm_proxy_total_requests_metric_total",
        callLabels("requested_model", "gpt-test", "status_code", "200"))).isEqualTo(2.0);
    assertThat(scrape.value("litellm_proxy_total_requests_metric_total",
        callLabels("requested_model", "gpt-test", "status_code", "500"))).isEqualTo(1.0);
    assertThat(scrape.value("litellm_proxy_failed_requests_metric_total",
        callLabels("requested_model", "gpt-test", "exception_status", "500", "exception_class", "InternalServerError")))
        .isEqualTo(1.0);
    assertThat(scrape.series("litellm_proxy_failed_requests_metric_total").stream()
        .filter(s -> s.labels().get("requested_model").equals("gpt-test"))).hasSize(1);
  }

  @Test
  void aRefusedKeyCountsAsAFailedRequestWithNothingTakenFromTheRequest() {
    // the key is not valid: no label comes from what its sender chose (key, model, end user)
    Map<String, String> none = callLabels("hashed_api_key", "None", "requested_model", "None");
    Map<String, String> total = new LinkedHashMap<>(none);
    total.put("status_code", "401");
    assertThat(scrape.value("litellm_proxy_total_requests_metric_total", total)).isEqualTo(1.0);
    Map<String, String> failed = new LinkedHashMap<>(none);
    failed.put("exception_status", "401");
    failed.put("exception_class", "AuthenticationError");
    assertThat(scrape.value("litellm_proxy_failed_requests_metric_total", failed)).isEqualTo(1.0);
  }

  @Test
  void anUnknownModelCountsAsAFailedRequestOfTheKeyUnderNoModel() {
    assertThat(scrape.value("litellm_proxy_total_requests_metric_total",
        callLabels("requested_model", "None", "status_code", "400"))).isEqualTo(1.0);
    assertThat(scrape.value("litellm_proxy_failed_requests_metric_total",
        callLabels("requested_model", "None", "exception_status", "400", "exception_class", "BadRequestError")))
        .isEqualTo(1.0);
    // a name no deployment has makes no series (any key holder could make them without bound)
    assertThat(scrape.text().lines().filter(l -> l.contains("no-such-model"))).isEmpty();
  }

  @Test
  void tokensComeFromUsageOfCompleteAndStreamedResponses() {
    Map<String, String> labels = callLabels("model", "gpt-4o-mini", "requested_model", "gpt-test");
    assertThat(scrape.value("litellm_input_tokens_metric_total", labels)).isEqualTo(20.0);
    assertThat(scrape.value("litellm_output_tokens_metric_total", labels)).isEqualTo(10.0);
    assertThat(scrape.value("litellm_total_tokens_metric_total", labels)).isEqualTo(30.0);
    // gpt-4o-mini at $0.15 / $0.60 per million input / output tokens: 20 * 0.15e-6 + 10 * 0.6e-6
    assertThat(scrape.value("litellm_spend_metric_total", callLabels("model", "gpt-4o-mini")))
        .isCloseTo(9.0e-6, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void latencyHistogramsUseLiteLlmBucketsAndCountSuccessfulCalls() {
    Map<String, String> latency = callLabels("requested_model", "gpt-test", "model", "gpt-4o-mini");
    assertThat(scrape.type("litellm_request_total_latency_metric")).isEqualTo("histogram");
    assertThat(scrape.value("litellm_request_total_latency_metric_count", latency)).isEqualTo(2.0);
    assertThat(scrape.value("litellm_overhead_latency_metric_count", latency)).isEqualTo(2.0);
    assertThat(scrape.value("litellm_llm_api_latency_metric_count", latency)).isEqualTo(2.0);
    Map<String, String> ttft = new LinkedHashMap<>(callLabels("model", "gpt-4o-mini"));
    ttft.remove("end_user");
    ttft.remove("user");
    assertThat(scrape.value("litellm_llm_api_time_to_first_token_metric_count", ttft)).isEqualTo(1.0);
    var buckets = scrape.series("litellm_request_total_latency_metric_bucket").stream().map(s -> s.labels().get("le")).toList();
    assertThat(buckets).startsWith("0.005", "0.00625", "0.0125").contains("300.0", "600.0").endsWith("+Inf").hasSize(37);
    Map<String, String> inf = new LinkedHashMap<>(latency);
    inf.put("le", "+Inf");
    assertThat(scrape.value("litellm_request_total_latency_metric_bucket", inf)).isEqualTo(2.0);
  }

  @Test
  void deploymentMetricsCountEachUpstreamAttempt() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("requested_model", "gpt-test");
    d.put("litellm_model_name", "openai/gpt-4o-mini");
    String id = scrape.series("litellm_deployment_state").get(0).labels().get("model_id");
    d.put("model_id", id);
    d.put("api_base", gw.upstream.url() + "/v1");
    d.put("api_provider", "openai");
    d.put("hashed_api_key", ApiKeys.sha256Hex(TestGateway.MASTER_KEY));
    d.put("api_key_alias", "None");
    d.put("team", "None");
    d.put("team_alias", "None");
    assertThat(scrape.value("litellm_deployment_total_requests_total", d)).isEqualTo(3.0);
    assertThat(scrape.value("litellm_deployment_success_responses_total", d)).isEqualTo(2.0);
    Map<String, String> f = new LinkedHashMap<>(d);
    f.put("exception_status", "500");
    f.put("exception_class", "InternalServerError");
    assertThat(scrape.value("litellm_deployment_failure_responses_total", f)).isEqualTo(1.0);
    // the last call (streamed) succeeded: healthy again
    assertThat(scrape.value("litellm_deployment_state", Map.of("litellm_model_name", "openai/gpt-4o-mini", "model_id", id,
        "api_base", gw.upstream.url() + "/v1", "api_provider", "openai"))).isEqualTo(0.0);
  }

  @Test
  void familiesHaveTheirTypesAndHttpServerMetricsCountRequests() {
    Map<String, String> types = Map.ofEntries(
        Map.entry("litellm_spend_metric_total", "counter"),
        Map.entry("litellm_deployment_state", "gauge"),
        Map.entry("litellm_cache_misses_metric_total", "counter"),
        Map.entry("litellm_in_flight_requests", "gauge"),
        Map.entry("litellm_llm_api_time_to_first_token_metric", "histogram"),
        Map.entry("http_server_requests_total", "counter"),
        Map.entry("http_server_request_duration_seconds", "histogram"),
        Map.entry("jvm_memory_used_bytes", "gauge"));
    types.forEach((family, type) -> assertThat(scrape.type(family)).as(family).isEqualTo(type));
    // the scrape itself is in flight while it is written
    assertThat(scrape.value("litellm_in_flight_requests", Map.of())).isEqualTo(1.0);
    assertThat(scrape.value("http_server_requests_total",
        Map.of("method", "POST", "route", "/v1/chat/completions", "status", "200"))).isEqualTo(2.0);
  }

  @Test
  void noSecretInAnyLabel() {
    assertThat(scrape.text()).doesNotContain(TestGateway.MASTER_KEY).doesNotContain(PROVIDER_KEY);
  }

  @Test
  void promtoolAcceptsTheExposition() throws Exception {
    scrape.assertPromtoolAccepts();
  }
}
