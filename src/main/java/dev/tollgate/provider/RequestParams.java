package dev.tollgate.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** Which request fields reach a provider: gateway-only fields never do; unsupported ones are dropped or refused. */
public final class RequestParams {
  /** LiteLLM request fields that steer the gateway and are never sent upstream. */
  public static final Set<String> GATEWAY_ONLY = Set.of(
      "metadata", "fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "num_retries",
      "cache", "caching", "mock_response", "mock_testing_fallbacks", "mock_timeout", "tags", "disable_fallbacks",
      "guardrails", "drop_params", "timeout", "max_retries", "litellm_logging_obj", "proxy_server_request",
      "api_key", "api_base", "base_url", "litellm_metadata", "user_api_key_auth");

  private RequestParams() {}

  /** Removes the gateway-only fields (in place). */
  public static void stripGatewayOnly(ObjectNode body) {
    body.remove(GATEWAY_ONLY);
  }

  /**
   * For a provider that takes only {@code supported} fields: with {@code drop_params} the others
   * are removed; without it the first one is refused with a 400 that names it.
   */
  public static void enforceSupported(ObjectNode body, Set<String> supported, boolean dropParams, String provider) {
    List<String> unsupported = new ArrayList<>();
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!supported.contains(f) && !GATEWAY_ONLY.contains(f)) {
        unsupported.add(f);
      }
    }
    if (unsupported.isEmpty()) {
      return;
    }
    if (dropParams) {
      body.remove(unsupported);
      return;
    }
    throw new UpstreamException(400, "invalid_request_error", provider + " does not support the parameter '"
        + unsupported.get(0) + "'. To drop unsupported parameters instead, set litellm_settings.drop_params: true "
        + "(or drop_params: true in litellm_params or in the request).", unsupported.get(0), "unsupported_params", null);
  }
}
