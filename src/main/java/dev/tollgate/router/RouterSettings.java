package dev.tollgate.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.GatewayConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * LiteLLM's {@code router_settings} (some also accepted in {@code litellm_settings}, as LiteLLM
 * does), with LiteLLM's defaults, validated at start.
 */
public record RouterSettings(
    Strategy strategy,
    Duration latencyTtl,
    double lowestLatencyBuffer,
    int numRetries,
    Duration retryAfter,
    Map<ErrorKind, Integer> retryPolicy,
    Map<String, Map<ErrorKind, Integer>> groupRetryPolicy,
    int allowedFails,
    Duration cooldownTime,
    boolean disableCooldowns,
    Map<String, List<String>> fallbacks,
    Map<String, List<String>> contextWindowFallbacks,
    Map<String, List<String>> contentPolicyFallbacks,
    List<String> defaultFallbacks,
    int maxFallbacks,
    Optional<Duration> timeout,
    Optional<Duration> streamTimeout,
    boolean preCallChecks,
    boolean tagFiltering,
    boolean enforceModelRateLimits,
    Map<String, Alias> aliases) {

  /** LiteLLM's Router default ({@code openai.DEFAULT_MAX_RETRIES}). */
  public static final int DEFAULT_NUM_RETRIES = 2;
  public static final int DEFAULT_ALLOWED_FAILS = 3;
  public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_FALLBACKS = 5;

  /** A {@code model_group_alias} entry: the group it names, and whether {@code /models} hides it. */
  public record Alias(String group, boolean hidden) {}

  public static RouterSettings defaults() {
    return new RouterSettings(Strategy.SIMPLE_SHUFFLE, Duration.ofHours(1), 0, DEFAULT_NUM_RETRIES, Duration.ZERO,
        Map.of(), Map.of(), DEFAULT_ALLOWED_FAILS, DEFAULT_COOLDOWN, false, Map.of(), Map.of(), Map.of(), List.of(),
        DEFAULT_MAX_FALLBACKS, Optional.empty(), Optional.empty(), false, false, false, Map.of());
  }

  public static RouterSettings from(GatewayConfig config) {
    ConfigNode r = config.routerSettings();
    ConfigNode l = config.litellmSettings();
    Strategy strategy = r.optString("routing_strategy").map(s -> Strategy.parse(s)
        .orElseThrow(() -> r.child("routing_strategy").invalid("one of " + Strategy.names()))).orElse(Strategy.SIMPLE_SHUFFLE);
    ConfigNode args = r.section("routing_strategy_args");
    Duration ttl = args.optSeconds("ttl").orElse(Duration.ofHours(1));
    double buffer = args.optNonNegative("lowest_latency_buffer").orElse(0.0);
    int retries = r.optNonNegativeInt("num_retries").or(() -> l.optNonNegativeInt("num_retries")).orElse(DEFAULT_NUM_RETRIES);
    Duration retryAfter = seconds(r, "retry_after").orElse(Duration.ZERO);
    Map<ErrorKind, Integer> policy = retryPolicy(r.section("retry_policy"));
    Map<String, Map<ErrorKind, Integer>> groupPolicy = new LinkedHashMap<>();
    ConfigNode groupPolicies = r.section("model_group_retry_policy");
    if (!groupPolicies.isMissing()) {
      groupPolicies.raw().fieldNames().forEachRemaining(g -> groupPolicy.put(g, retryPolicy(groupPolicies.section(g))));
    }
    int allowedFails = r.optNonNegativeInt("allowed_fails").orElse(DEFAULT_ALLOWED_FAILS);
    Duration cooldown = seconds(r, "cooldown_time").orElse(DEFAULT_COOLDOWN);
    boolean disableCooldowns = r.bool("disable_cooldowns", false);
    List<String> defaultFallbacks = r.has("default_fallbacks") ? r.stringList("default_fallbacks") : l.stringList("default_fallbacks");
    int maxFallbacks = r.optNonNegativeInt("max_fallbacks").orElse(DEFAULT_MAX_FALLBACKS);
    Optional<Duration> timeout = r.optSeconds("timeout");
    Optional<Duration> streamTimeout = r.optSeconds("stream_timeout");
    List<String> optionalChecks = r.stringList("optional_pre_call_checks");
    boolean enforce = r.bool("enforce_model_rate_limits", false) || optionalChecks.contains("enforce_model_rate_limits");
    Map<String, Alias> aliases = new LinkedHashMap<>();
    ConfigNode aliasNode = r.section("model_group_alias");
    if (!aliasNode.isMissing()) {
      aliasNode.raw().fields().forEachRemaining(e -> {
        JsonNode v = e.getValue();
        if (v.isTextual()) {
          aliases.put(e.getKey(), new Alias(v.asText(), false));
        } else if (v.isObject() && v.path("model").isTextual()) {
          aliases.put(e.getKey(), new Alias(v.get("model").asText(), v.path("hidden").asBoolean(false)));
        } else {
          throw aliasNode.child(e.getKey()).invalid("a model name or {model: NAME, hidden: true|false}");
        }
      });
    }
    return new RouterSettings(strategy, ttl, buffer, retries, retryAfter, policy, groupPolicy, allowedFails, cooldown,
        disableCooldowns, fallbackMap(r, l, "fallbacks"), fallbackMap(r, l, "context_window_fallbacks"),
        fallbackMap(r, l, "content_policy_fallbacks"), defaultFallbacks, maxFallbacks, timeout, streamTimeout,
        r.bool("enable_pre_call_checks", false), r.bool("enable_tag_filtering", false), enforce, aliases);
  }

  /** Retries allowed for an error of this kind in this group: the group's policy, the global policy, else num_retries. */
  public int retriesFor(String group, ErrorKind kind, int numRetries) {
    Map<ErrorKind, Integer> g = groupRetryPolicy.get(group);
    if (g != null && g.containsKey(kind)) {
      return g.get(kind);
    }
    return retryPolicy.getOrDefault(kind, numRetries);
  }

  /** Whether a retry policy names this kind (then it is retried even when it normally is not). */
  public boolean policyNames(String group, ErrorKind kind) {
    Map<ErrorKind, Integer> g = groupRetryPolicy.get(group);
    return (g != null && g.containsKey(kind)) || retryPolicy.containsKey(kind);
  }

  private static Optional<Duration> seconds(ConfigNode node, String key) {
    return node.optNonNegative(key).map(s -> Duration.ofMillis((long) (s * 1000)));
  }

  private static Map<ErrorKind, Integer> retryPolicy(ConfigNode node) {
    Map<ErrorKind, Integer> out = new LinkedHashMap<>();
    if (node.isMissing()) {
      return out;
    }
    node.raw().fieldNames().forEachRemaining(k -> {
      ErrorKind kind = ErrorKind.fromPolicyKey(k).orElseThrow(() -> node.child(k).invalid(
          "a known error type (one of " + ErrorKind.policyKeys() + ")"));
      out.put(kind, node.optNonNegativeInt(k).orElse(0));
    });
    return out;
  }

  /** {@code [{"gpt-4o": ["claude", "gpt-4o-mini"]}, ...]} from router_settings, else litellm_settings. */
  private static Map<String, List<String>> fallbackMap(ConfigNode r, ConfigNode l, String key) {
    ConfigNode owner = r.has(key) ? r : l;
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (ConfigNode item : owner.list(key)) {
      JsonNode raw = item.raw();
      if (!raw.isObject()) {
        throw item.invalid("a mapping of a model group to a list of fallback groups");
      }
      raw.fieldNames().forEachRemaining(group -> out.put(group, item.stringList(group)));
    }
    return out;
  }
}
