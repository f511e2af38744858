package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.observe.metrics.GatewayMetrics;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Deployments;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What other parts report (budgets, cool-downs) and prometheus_metrics_config, without a server. */
class GatewayMetricsTest {
  static final String MODELS = """
      model_list:
        - model_name: m
          litellm_params: {model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-x}
      """;

  static GatewayConfig config(String yaml) {
    return ConfigLoader.fromYaml(MODELS + yaml, "test", new Environment(Map.of()));
  }

  static Scrape scrape(GatewayMetrics metrics) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    metrics.scrape(out);
    return Scrape.parse(out.toString(StandardCharsets.UTF_8));
  }

  static GatewayMetrics metrics(GatewayConfig config) {
    List<Deployment> deployments = Deployments.fromConfig(config);
    return new GatewayMetrics(ObserveSettings.from(config, false), deployments, () -> 3);
  }

  @Test
  void budgetsCooldownsAndInFlightAppearWithLiteLlmLabels() throws Exception {
    GatewayConfig config = config("litellm_settings: {callbacks: [prometheus]}");
    GatewayMetrics metrics = metrics(config);
    Deployment d = Deployments.fromConfig(config).get(0);
    metrics.remainingKeyBudget("abc123", "my-key", 12.5);
    metrics.remainingTeamBudget("team-1", null, 99.0);
    metrics.deploymentCooledDown(d, 429);
    Scrape s = scrape(metrics);
    assertThat(s.type("litellm_remaining_api_key_budget_metric")).isEqualTo("gauge");
    assertThat(s.value("litellm_remaining_api_key_budget_metric", Map.of("hashed_api_key", "abc123", "api_key_alias", "my-key")))
        .isEqualTo(12.5);
    assertThat(s.value("litellm_remaining_team_budget_metric", Map.of("team", "team-1", "team_alias", "None"))).isEqualTo(99.0);
    assertThat(s.value("litellm_deployment_cooled_down_total", Map.of("litellm_model_name", "openai/gpt-4o", "model_id", d.id(),
        "api_base", "http://127.0.0.1:9/v1", "api_provider", "openai", "exception_status", "429"))).isEqualTo(1.0);
    assertThat(s.value("litellm_in_flight_requests", Map.of())).isEqualTo(3.0);
    assertThat(s.value("litellm_deployment_state", Map.of("litellm_model_name", "openai/gpt-4o", "model_id", d.id(),
        "api_base", "http://127.0.0.1:9/v1", "api_provider", "openai"))).isEqualTo(0.0);
  }

  @Test
  void prometheusMetricsConfigKeepsOnlyListedMetricsAndLabels() throws Exception {
    GatewayMetrics metrics = metrics(config("""
        litellm_settings:
          callbacks: [prometheus]
          prometheus_metrics_config:
            - group: budgets
              metrics: [litellm_remaining_api_key_budget_metric]
              include_labels: [hashed_api_key]
        """));
    metrics.remainingKeyBudget("abc123", "my-key", 1.0);
    metrics.remainingTeamBudget("team-1", "t", 2.0);
    Scrape s = scrape(metrics);
    assertThat(s.value("litellm_remaining_api_key_budget_metric", Map.of("hashed_api_key", "abc123"))).isEqualTo(1.0);
    assertThat(s.series("litellm_remaining_team_budget_metric")).isEmpty();
    assertThat(s.series("litellm_in_flight_requests")).isEmpty();
    assertThat(s.series("litellm_deployment_state")).isEmpty();
  }

  @Test
  void anUnknownMetricInTheConfigIsAConfigError() {
    assertThatThrownBy(() -> metrics(config("""
        litellm_settings:
          callbacks: [prometheus]
          prometheus_metrics_config:
            - group: g
              metrics: [litellm_no_such_metric]
        """))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("prometheus_metrics_config: unknown metric \"litellm_no_such_metric\"");
  }

  /** A LiteLLM config naming LiteLLM's metrics that Tollgate does not export still starts: they are listed as ignored. */
  @Test
  void litellmMetricsTollgateDoesNotExportAreIgnoredNotRefused() throws Exception {
    GatewayConfig config = config("""
        litellm_settings:
          callbacks: [prometheus]
          prometheus_metrics_config:
            - group: latency
              metrics: [litellm_deployment_latency_per_output_token, litellm_spend_metric]
              include_labels: [model]
        """);
    Scrape s = scrape(metrics(config));
    assertThat(config.ignoredSettings()).anySatisfy(i -> assertThat(i).contains("litellm_deployment_latency_per_output_token"));
    assertThat(s.series("litellm_in_flight_requests")).as("the group's other metric still selects").isEmpty();
  }
}
