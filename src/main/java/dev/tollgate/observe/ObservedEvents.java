package dev.tollgate.observe;

import dev.tollgate.call.ProxyCall;
import dev.tollgate.provider.Deployment;

/**
 * What other parts of the gateway report for metrics: the cache its hits and misses, the router
 * its cool-downs, budget accounting what is left. Every method is cheap and thread-safe; {@link #NONE}
 * when Prometheus is off.
 */
public interface ObservedEvents {
  ObservedEvents NONE = new ObservedEvents() {};

  default void cacheHit(ProxyCall call) {}

  default void cacheMiss(ProxyCall call) {}

  /** A deployment was taken out of rotation after an error with this HTTP status. */
  default void deploymentCooledDown(Deployment deployment, int status) {}

  /** {@code hashedKey}: the SHA-256 hex of the virtual key, never the key itself. */
  default void remainingKeyBudget(String hashedKey, String keyAlias, double usd) {}

  default void remainingTeamBudget(String team, String teamAlias, double usd) {}
}
