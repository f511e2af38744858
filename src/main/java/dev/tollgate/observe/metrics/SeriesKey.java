package dev.tollgate.observe.metrics;

import static dev.tollgate.observe.metrics.Labels.NONE;
import static dev.tollgate.observe.metrics.Labels.orNone;

import dev.tollgate.call.ProxyCall;
import dev.tollgate.provider.Deployment;

/**
 * The label values of one call that do not change per outcome. Keys appear only as the SHA-256
 * the principal carries ({@code hashed_api_key}), never as presented. Alias, team and user stay
 * "None" until virtual keys carry them.
 */
record SeriesKey(String endUser, String hashedKey, String keyAlias, String team, String teamAlias, String user,
    String requestedModel, String deploymentId) {

  static SeriesKey of(ProxyCall call, Deployment deployment, boolean trackEndUser) {
    // the end user spend tracking charges: x-litellm-customer-id, else the body's user
    String endUser = trackEndUser ? orNone(call.endUser()) : NONE;
    String hashedKey = call.principal == null ? NONE : orNone(call.principal.keyHash());
    return new SeriesKey(endUser, hashedKey, NONE, NONE, NONE, NONE, call.modelGroup, deployment == null ? null : deployment.id());
  }
}
