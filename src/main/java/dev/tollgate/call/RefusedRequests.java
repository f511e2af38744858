package dev.tollgate.call;

import dev.tollgate.auth.Principal;

/**
 * Requests answered with an error before they became a {@link ProxyCall}: a key that
 * authentication refused, a missing or unknown model, a body that is not a valid request. No
 * interceptor sees them, yet the client got no success, so metrics count them (as LiteLLM's
 * post-call failure hook does for auth errors and invalid model names). Cheap and thread-safe;
 * {@link #NONE} when nothing listens.
 */
public interface RefusedRequests {
  RefusedRequests NONE = (principal, requestedModel, endUser, status) -> { };

  /**
   * @param principal who called, or null when the key itself was refused (nothing about the
   *     caller is trusted then: no label is taken from the request)
   * @param requestedModel the model group asked for, or null when not known
   * @param endUser {@link ProxyCall#endUserOf} of the request, or null
   * @param status the HTTP status the client got
   */
  void refused(Principal principal, String requestedModel, String endUser, int status);
}
