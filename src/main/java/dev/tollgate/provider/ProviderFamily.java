package dev.tollgate.provider;

import java.util.List;

/**
 * A provider prefix of {@code litellm_params.model} ({@code openai/}, {@code groq/}, ...): its
 * default base URL, the environment variables its key and base URL come from, and the adapter
 * that speaks its wire format.
 */
public record ProviderFamily(
    String name,
    ProviderFactory factory,
    String defaultApiBase,
    List<String> apiKeyEnv,
    List<String> apiBaseEnv,
    boolean apiKeyRequired) {

  /** Creates a provider adapter bound to one event loop's HTTP client. */
  @FunctionalInterface
  public interface ProviderFactory {
    Provider create(ProviderContext context);
  }
}
