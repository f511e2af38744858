package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.GatewayOnFakeUpstream;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A wildcard model group serves any name a client sends; its metrics must not grow with every one. */
class WildcardMetricsTest {
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(LlmUpstream::install, url -> """
      model_list:
        - model_name: "wild/*"
          litellm_params: {model: "openai/*", api_base: %s/v1, api_key: sk-up}
      litellm_settings:
        callbacks: ["prometheus"]
        num_retries: 0
      """.formatted(url));

  @Test
  void namesPastTheBoundAreLabelledByThePattern() {
    int names = 130;
    for (int i = 0; i < names; i++) {
      assertThat(gw.gateway.post("/v1/chat/completions", LlmUpstream.chat("hello", false).replace("gpt-test", "wild/m" + i))
          .statusCode()).isEqualTo(200);
    }
    Scrape scrape = Scrape.parse(gw.gateway.get("/metrics", null).body());
    Set<String> requested = scrape.series("litellm_proxy_total_requests_metric_total").stream()
        .map(s -> s.labels().get("requested_model")).collect(Collectors.toSet());
    assertThat(requested).contains("wild/m0", "wild/m99", "wild/*").doesNotContain("wild/m100", "wild/m129").hasSize(101);
    Set<String> upstreamModels = scrape.series("litellm_deployment_total_requests_total").stream()
        .map(s -> s.labels().get("litellm_model_name")).collect(Collectors.toSet());
    assertThat(upstreamModels).contains("openai/m0", "openai/*").hasSize(101);
    double total = scrape.series("litellm_proxy_total_requests_metric_total").stream().mapToDouble(Scrape.Sample::value).sum();
    assertThat(total).as("every call still counted").isEqualTo(names);
  }
}
