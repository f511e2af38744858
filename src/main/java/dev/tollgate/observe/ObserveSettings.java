package dev.tollgate.observe;

import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What config.yaml and the environment ask of metrics, traces, logs and health, read once at start.
 *
 * @param includeLabels from {@code prometheus_metrics_config}: metric name → labels to keep; empty
 *     means every metric with its default labels, otherwise metrics not listed are not emitted
 */
public record ObserveSettings(
    boolean prometheus,
    boolean requireAuthForMetrics,
    Map<String, List<String>> includeLabels,
    boolean trackEndUser,
    boolean otel,
    boolean jsonLogs,
    boolean turnOffMessageLogging,
    boolean detailedDebug,
    boolean separateHealthApp,
    int healthPort,
    boolean backgroundHealthChecks,
    Duration healthCheckInterval) {

  public static final int DEFAULT_HEALTH_PORT = 4001;
  /** The callbacks Tollgate implements. */
  private static final List<String> CALLBACKS = List.of("prometheus", "otel", "opentelemetry");

  public static ObserveSettings from(GatewayConfig config, boolean detailedDebug) {
    ConfigNode litellm = config.litellmSettings();
    ConfigNode general = config.generalSettings();
    Environment env = config.env();
    List<String> callbacks = new ArrayList<>();
    for (String key : List.of("callbacks", "success_callback", "failure_callback")) {
      for (String c : litellm.stringList(key)) {
        String name = c.trim().toLowerCase();
        callbacks.add(name);
        if (!CALLBACKS.contains(name)) {
          config.ignoreValue("litellm_settings." + key, c); // langfuse, datadog, ...: no integration here
        }
      }
    }
    boolean otel = callbacks.contains("otel") || callbacks.contains("opentelemetry")
        || env.first("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").isPresent();
    return new ObserveSettings(
        callbacks.contains("prometheus"),
        general.bool("require_auth_for_metrics_endpoint", false),
        includeLabels(config, litellm.list("prometheus_metrics_config")),
        litellm.bool("enable_end_user_cost_tracking_prometheus_only", false),
        otel,
        litellm.bool("json_logs", false) || env.flag("JSON_LOGS"),
        litellm.bool("turn_off_message_logging", false),
        detailedDebug,
        env.flag("SEPARATE_HEALTH_APP"),
        healthPort(env),
        general.bool("background_health_checks", false),
        general.optSeconds("health_check_interval").orElse(Duration.ofSeconds(300)));
  }

  /** The callbacks configured that Tollgate runs, by LiteLLM's names. */
  public List<String> activeCallbacks() {
    List<String> out = new ArrayList<>(2);
    if (prometheus) {
      out.add("prometheus");
    }
    if (otel) {
      out.add("otel");
    }
    return out;
  }

  private static int healthPort(Environment env) {
    Optional<String> raw = env.get("SEPARATE_HEALTH_PORT");
    if (raw.isEmpty()) {
      return DEFAULT_HEALTH_PORT;
    }
    try {
      int port = Integer.parseInt(raw.get().trim());
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new dev.tollgate.config.ConfigException("SEPARATE_HEALTH_PORT: \"" + raw.get() + "\" is not valid (expected a port number)");
    }
  }

  /**
   * LiteLLM's metrics that Tollgate does not export: named in prometheus_metrics_config, they are
   * reported as ignored at start, not refused (a LiteLLM config must start); other unknown names are typos.
   */
  private static final Set<String> LITELLM_NOT_EXPORTED = Set.of("litellm_requests_metric",
      "litellm_deployment_latency_per_output_token", "litellm_remaining_requests_metric", "litellm_remaining_tokens_metric",
      "litellm_deployment_successful_fallbacks", "litellm_deployment_failed_fallbacks", "litellm_api_key_max_budget_metric",
      "litellm_team_max_budget_metric", "litellm_api_key_budget_remaining_hours_metric",
      "litellm_team_budget_remaining_hours_metric", "litellm_remaining_api_key_requests_for_model",
      "litellm_remaining_api_key_tokens_for_model", "litellm_redis_latency", "litellm_redis_fails", "litellm_self_latency");

  private static Map<String, List<String>> includeLabels(GatewayConfig config, List<ConfigNode> groups) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (ConfigNode group : groups) {
      group.optString("group");
      List<String> labels = group.has("include_labels") ? group.stringList("include_labels") : null;
      List<String> metrics = group.stringList("metrics");
      if (metrics.isEmpty()) {
        throw group.error("metrics", "a non-empty list of metric names is required");
      }
      for (String metric : metrics) {
        if (LITELLM_NOT_EXPORTED.contains(metric)) {
          config.ignoreValue("litellm_settings.prometheus_metrics_config", metric + " (not exported by Tollgate)");
        } else {
          out.put(metric, labels);
        }
      }
    }
    return out;
  }
}
