package dev.tollgate.observe.metrics;

import static dev.tollgate.observe.metrics.Labels.NONE;
import static dev.tollgate.observe.metrics.Labels.orNone;

import dev.tollgate.auth.Principal;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.provider.Deployment;

/**
 * The label values of one call that do not change per outcome. Keys appear only as the SHA-256
 * the principal carries ({@code hashed_api_key}), never as presented; alias, team, team alias and
 * user are those the principal carries from the in-memory accounts (no look-up here). The end user
 * is the one spend tracking charges ({@link ProxyCall#endUser()}), only when tracked for Prometheus.
 */
record SeriesKey(String endUser, String hashedKey, String keyAlias, String team, String teamAlias, String user,
    String requestedModel, String deploymentId) {

  static SeriesKey of(ProxyCall call, Deployment deployment, boolean trackEndUser) {
    return of(call.principal, trackEndUser ? call.endUser() : null, call.modelGroup, deployment == null ? null : deployment.id());
  }

  /** The labels of a request with these owners; null values are "None". */
  static SeriesKey of(Principal p, String endUser, String requestedModel, String deploymentId) {
    if (p == null) {
      return new SeriesKey(orNone(endUser), NONE, NONE, NONE, NONE, NONE, orNone(requestedModel), deploymentId);
    }
    return new SeriesKey(orNone(endUser), orNone(p.keyHash()), orNone(p.keyAlias()), orNone(p.teamId()), orNone(p.teamAlias()),
        orNone(p.userId()), orNone(requestedModel), deploymentId);
  }
}
