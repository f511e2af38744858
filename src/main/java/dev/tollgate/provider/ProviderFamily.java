package dev.tollgate.provider;

import java.util.List;
import java.util.Map;

/**
 * A provider prefix of {@code litellm_params.model} ({@code openai/}, {@code groq/}, ...): its
 * default base URL, the environment variables its key and base URL come from, and the adapter
 * that speaks its wire format. {@code paramEnv}: provider settings of {@code litellm_params}
 * (e.g. {@code aws_region_name}) and the environment variables that fill them when absent.
 */
public record ProviderFamily(
    String name,
    ProviderFactory factory,
    String defaultApiBase,
    List<String> apiKeyEnv,
    List<String> apiBaseEnv,
    boolean apiKeyRequired,
    Map<String, List<String>> paramEnv) {

  public ProviderFamily(String name, ProviderFactory factory, String defaultApiBase, List<String> apiKeyEnv,
      List<String> apiBaseEnv, boolean apiKeyRequired) {
    this(name, factory, defaultApiBase, apiKeyEnv, apiBaseEnv, apiKeyRequired, Map.of());
  }

  /** Creates a provider adapter bound to one event loop's HTTP client. */
  @FunctionalInterface
  public interface ProviderFactory {
    Provider create(ProviderContext context);
  }
}
