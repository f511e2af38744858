package dev.tollgate.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.observe.logs.Secrets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of {@code model_list}, resolved: which provider family serves it, where, with which
 * key and limits. {@code litellmParams} keeps the raw block for provider-specific settings.
 */
public record Deployment(
    String id,
    String modelName,
    ProviderFamily family,
    String upstreamModel,
    String apiBase,
    String apiKey,
    String apiVersion,
    Duration timeout,
    Duration streamTimeout,
    Optional<Integer> maxRetries,
    Optional<Integer> rpm,
    Optional<Integer> tpm,
    double weight,
    Map<String, String> extraHeaders,
    Optional<String> mockResponse,
    ObjectNode defaultParams,
    ObjectNode modelInfo,
    ObjectNode litellmParams,
    List<String> tags,
    boolean dropParams) {

  public String providerName() {
    return family.name();
  }

  /** The model as written in config.yaml, e.g. {@code openai/gpt-4o}. */
  public String litellmModel() {
    return family.name() + "/" + upstreamModel;
  }

  /** This deployment asking its provider for another model (a wildcard deployment, for the name a client sent). */
  public Deployment withUpstreamModel(String model) {
    return new Deployment(id, modelName, family, model, apiBase, apiKey, apiVersion, timeout, streamTimeout, maxRetries, rpm, tpm,
        weight, extraHeaders, mockResponse, defaultParams, modelInfo, litellmParams, tags, dropParams);
  }

  /**
   * The API base as callers, logs, metrics and spend logs may see it: a password in the URL
   * ({@code http://user:pass@host}) masked.
   */
  public String shownApiBase() {
    return apiBase == null ? null : Secrets.maskedUrl(apiBase);
  }

  /** Never prints the API key. */
  @Override
  public String toString() {
    return "Deployment[" + modelName + " -> " + litellmModel() + " @ " + shownApiBase() + ", id=" + id + "]";
  }
}
