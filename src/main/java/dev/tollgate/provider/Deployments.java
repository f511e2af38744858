package dev.tollgate.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.observe.logs.Secrets;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds and validates the deployments of {@code model_list}. */
public final class Deployments {
  private static final Logger log = LoggerFactory.getLogger(Deployments.class);

  /** OpenAI request parameters that may be set in litellm_params as defaults for every call. */
  private static final Set<String> DEFAULT_REQUEST_PARAMS = Set.of(
      "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop", "presence_penalty",
      "frequency_penalty", "seed", "response_format", "logit_bias", "user", "reasoning_effort",
      "parallel_tool_calls", "logprobs", "top_logprobs", "dimensions", "encoding_format", "service_tier");

  /** Model names without a provider prefix that LiteLLM routes to OpenAI. */
  private static final List<String> OPENAI_MODEL_PREFIXES = List.of(
      "gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-", "davinci", "babbage", "omni-moderation", "codex-");

  /** LiteLLM's litellm.request_timeout, which its Router uses when nothing else is set. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(6000);

  private Deployments() {}

  public static List<Deployment> fromConfig(GatewayConfig config) {
    Duration defaultTimeout = config.litellmSettings().optSeconds("request_timeout").orElse(DEFAULT_TIMEOUT);
    boolean dropParams = config.litellmSettings().bool("drop_params", false);
    List<Deployment> out = new ArrayList<>();
    for (ConfigNode entry : config.modelList()) {
      out.add(parse(entry, config.env(), defaultTimeout, dropParams));
    }
    return out;
  }

  static Deployment parse(ConfigNode entry, Environment env, Duration defaultTimeout, boolean defaultDropParams) {
    if (entry.isMissing() || !entry.raw().isObject()) {
      throw entry.invalid("a mapping with model_name and litellm_params");
    }
    String modelName = entry.optString("model_name").filter(s -> !s.isBlank())
        .orElseThrow(() -> entry.error("model_name", "missing (the name clients send as \"model\")"));
    ConfigNode params = entry.section("litellm_params");
    if (params.isMissing()) {
      throw entry.error("litellm_params", "missing (a mapping with at least \"model\")");
    }
    ConfigNode modelInfoNode = entry.section("model_info");
    ObjectNode modelInfo = modelInfoNode.objectOrEmpty();

    String model = params.optString("model").filter(s -> !s.isBlank())
        .orElseThrow(() -> params.error("model", "missing (e.g. \"openai/gpt-4o\")"));
    ProviderFamily family;
    String upstreamModel;
    int slash = model.indexOf('/');
    String prefix = slash > 0 ? model.substring(0, slash) : null;
    if (prefix != null && ProviderCatalog.find(prefix).isPresent()) {
      family = ProviderCatalog.find(prefix).get();
      upstreamModel = model.substring(slash + 1);
    } else if (prefix == null && OPENAI_MODEL_PREFIXES.stream().anyMatch(model::startsWith)) {
      family = ProviderCatalog.find("openai").orElseThrow();
      upstreamModel = model;
    } else {
      throw params.error("model", unknownProviderMessage(model, prefix));
    }

    Optional<String> mockResponse = params.optString("mock_response");
    String apiBase = params.optString("api_base")
        .or(() -> params.optString("base_url"))
        .or(() -> env.first(family.apiBaseEnv().toArray(String[]::new)))
        .orElse(family.defaultApiBase());
    if (apiBase == null && mockResponse.isEmpty()) {
      throw params.error("api_base", "missing: provider \"" + family.name() + "\" has no default endpoint, set api_base (e.g. http://localhost:8000/v1)");
    }
    if (apiBase != null) {
      apiBase = stripTrailingSlash(apiBase);
      if (!apiBase.startsWith("http://") && !apiBase.startsWith("https://")) {
        throw params.error("api_base", "\"" + Secrets.maskedUrl(apiBase) + "\" is not valid (expected an http:// or https:// URL)");
      }
      if (hostOf(apiBase) == null) {
        // not quoted: what makes it unreadable may be a password with an @ in it
        throw params.error("api_base", "not a valid URL: no host can be read from it"
            + (apiBase.indexOf('@') >= 0 ? " (write an @ inside a user name or password as %40)" : ""));
      }
    }
    String apiKey = params.optString("api_key").or(() -> env.first(family.apiKeyEnv().toArray(String[]::new))).orElse(null);
    if (apiKey == null && family.apiKeyRequired() && mockResponse.isEmpty()) {
      log.warn("{}: no api_key and none of {} is set; calls to \"{}\" will fail until one is", params.path(), family.apiKeyEnv(), modelName);
    }

    ObjectNode defaults = JsonNodeFactory.instance.objectNode();
    for (String p : DEFAULT_REQUEST_PARAMS) {
      if (params.has(p)) {
        defaults.set(p, params.child(p).raw());
      }
    }

    Duration timeout = params.optSeconds("timeout").orElse(defaultTimeout);
    Duration streamTimeout = params.optSeconds("stream_timeout").orElse(timeout);
    Optional<Integer> maxRetries = params.optNonNegativeInt("max_retries").or(() -> params.optNonNegativeInt("num_retries"));
    Optional<Integer> rpm = params.optNonNegativeInt("rpm");
    Optional<Integer> tpm = params.optNonNegativeInt("tpm");
    double weight = params.optNonNegative("weight").orElse(1.0);
    var extraHeaders = params.stringMap("extra_headers");
    extraHeaders.putAll(params.stringMap("headers"));
    List<String> tags = params.stringList("tags");
    params.optString("organization").ifPresent(org -> extraHeaders.put("OpenAI-Organization", org));
    // AZURE_API_VERSION for azure/, by the same PROVIDER_API_VERSION pattern for any other family
    String apiVersion = params.optString("api_version")
        .or(() -> env.get(family.name().toUpperCase(java.util.Locale.ROOT) + "_API_VERSION")).orElse(null);

    ObjectNode rawParams = params.objectOrEmpty().deepCopy();
    String id = modelInfo.hasNonNull("id") ? modelInfo.get("id").asText() : hashId(modelName, rawParams);
    family.paramEnv().forEach((param, names) -> {
      params.child(param); // read by the provider adapter
      if (!rawParams.hasNonNull(param)) {
        env.first(names.toArray(String[]::new)).ifPresent(v -> rawParams.put(param, v));
      }
    });
    return new Deployment(id, modelName, family, upstreamModel, apiBase, apiKey, apiVersion, timeout, streamTimeout,
        maxRetries, rpm, tpm, weight, extraHeaders, mockResponse, defaults, modelInfo, rawParams, tags,
        params.bool("drop_params", defaultDropParams));
  }

  private static String unknownProviderMessage(String model, String prefix) {
    if (prefix == null) {
      return "\"" + model + "\" names no provider (write it as \"provider/model\", e.g. \"openai/" + model
          + "\" for any OpenAI-compatible server; known providers: " + String.join(", ", ProviderCatalog.names()) + ")";
    }
    if (ProviderCatalog.isKnownButUnsupported(prefix)) {
      return "provider \"" + prefix + "\" is not supported by this version of Tollgate yet";
    }
    return "unknown provider \"" + prefix + "\""
        + ProviderCatalog.suggest(prefix).map(s -> " (did you mean \"" + s + "\"?)").orElse(" (known providers: " + String.join(", ", ProviderCatalog.names()) + ")");
  }

  private static String hostOf(String url) {
    try {
      return new URI(url).getHost();
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static String stripTrailingSlash(String s) {
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static String hashId(String modelName, JsonNode params) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(modelName.getBytes(StandardCharsets.UTF_8));
      sha.update(params.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new ConfigException("SHA-256 unavailable", e);
    }
  }
}
