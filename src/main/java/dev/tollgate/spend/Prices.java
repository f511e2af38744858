package dev.tollgate.spend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a call costs: the bundled price map ({@code tollgate/model_prices.json}, LiteLLM's field
 * names, USD per token), overridden per deployment by {@code model_info} / {@code litellm_params}
 * ({@code input_cost_per_token}, ...). The map is always the local one — Tollgate never fetches
 * prices at start, which is what {@code LITELLM_LOCAL_MODEL_COST_MAP=True} asks of LiteLLM. A
 * model with no price costs 0 and is reported once (and counted), never failing a call.
 */
public final class Prices {
  private static final Pattern BEDROCK_REGION_PROFILE = Pattern.compile("(?:us|eu|apac|jp|au|us-gov|global)\\.(.+)");
  private static final Logger log = LoggerFactory.getLogger(Prices.class);
  static final String[] FIELDS = {"input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
      "cache_creation_input_token_cost", "output_cost_per_reasoning_token", "max_output_tokens", "max_tokens"};

  /** The price of one model, USD per token; missing cache/reasoning prices fall back to input/output. */
  public record Price(double input, double output, double cacheRead, double cacheCreation, double reasoning, long maxOutputTokens) {
    public static final Price FREE = new Price(0, 0, 0, 0, 0, 0);

    public double cost(Usage u) {
      long cached = Math.min(u.cachedPromptTokens(), u.promptTokens());
      long created = Math.min(u.cacheCreationTokens(), u.promptTokens() - cached);
      long reasoning = Math.min(u.reasoningTokens(), u.completionTokens());
      return (u.promptTokens() - cached - created) * input + cached * cacheRead + created * cacheCreation
          + (u.completionTokens() - reasoning) * output + reasoning * reasoning();
    }
  }

  private final Map<String, JsonNode> map;
  private final Map<String, Price> byDeployment = new ConcurrentHashMap<>();
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private final AtomicLong unpriced = new AtomicLong();

  Prices(Map<String, JsonNode> map) {
    this.map = map;
  }

  public static Prices bundled() {
    try (InputStream in = Prices.class.getResourceAsStream("/tollgate/model_prices.json")) {
      ObjectNode root = (ObjectNode) Json.MAPPER.readTree(in);
      Map<String, JsonNode> map = new ConcurrentHashMap<>();
      root.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue()));
      return new Prices(map);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the bundled price map could not be read", e);
    }
  }

  /** Calls that had no price (cost 0): a warning metric. */
  public long unpricedCalls() {
    return unpriced.get();
  }

  /** The price of a deployment (cached per deployment id); {@link Price#FREE} when unknown. */
  public Price of(Deployment d) {
    return byDeployment.computeIfAbsent(d.id(), id -> resolve(d));
  }

  /** Cost of a call; counts and reports (once per model) a call on a model with no price. */
  public double cost(Deployment d, Usage usage) {
    if (d == null || usage == null) {
      return 0;
    }
    Price p = of(d);
    if (p == Price.FREE && d.mockResponse().isEmpty()) {
      unpriced.incrementAndGet();
      if (warned.add(d.litellmModel())) {
        log.warn("no price known for model {} (deployment {}): its calls cost 0; set model_info.input_cost_per_token / "
            + "output_cost_per_token to bill it", d.litellmModel(), d.id());
      }
    }
    return p.cost(usage);
  }

  /**
   * The map entry of a model name as LiteLLM looks it up (with or without the provider prefix).
   * Vertex AI's Gemini models cost what the Gemini API's do; a Bedrock cross-region inference
   * profile ({@code us.anthropic...}) what its model does.
   */
  public JsonNode entry(String provider, String model) {
    JsonNode e = map.get(provider + "/" + model);
    if (e == null) {
      e = map.get(model);
    }
    if (e == null && model.contains("/")) {
      return entry(provider, model.substring(model.indexOf('/') + 1));
    }
    if (e == null && provider.startsWith("vertex_ai")) {
      e = map.get("gemini/" + model);
    }
    if (e == null && provider.equals("bedrock")) {
      Matcher region = BEDROCK_REGION_PROFILE.matcher(model);
      e = region.matches() ? map.get(region.group(1)) : null;
    }
    return e;
  }

  private Price resolve(Deployment d) {
    JsonNode base = entry(d.providerName(), d.upstreamModel());
    JsonNode info = d.modelInfo();
    JsonNode params = d.litellmParams();
    if (base == null && !hasPrice(info) && !hasPrice(params)) {
      return Price.FREE;
    }
    double in = pick("input_cost_per_token", info, params, base, 0);
    double out = pick("output_cost_per_token", info, params, base, 0);
    double maxOut = pick("max_output_tokens", info, params, base, pick("max_tokens", info, params, base, 0));
    return new Price(in, out, pick("cache_read_input_token_cost", info, params, base, in),
        pick("cache_creation_input_token_cost", info, params, base, in),
        pick("output_cost_per_reasoning_token", info, params, base, out), (long) maxOut);
  }

  private static boolean hasPrice(JsonNode n) {
    return n != null && (n.has("input_cost_per_token") || n.has("output_cost_per_token"));
  }

  private static double pick(String field, JsonNode info, JsonNode params, JsonNode base, double fallback) {
    for (JsonNode n : new JsonNode[] {info, params, base}) {
      if (n != null && n.hasNonNull(field) && n.get(field).isNumber()) {
        return n.get(field).asDouble();
      }
    }
    return fallback;
  }
}
