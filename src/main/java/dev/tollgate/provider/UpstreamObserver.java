package dev.tollgate.provider;

import io.vertx.core.MultiMap;

/**
 * Sees every HTTP attempt at an upstream (metrics per deployment, a tracing span per attempt):
 * called before the request goes out, it may add headers (such as {@code traceparent}); what it
 * returns is told how the attempt ended. Registered with {@link UpstreamHttp#addObserver}.
 */
public interface UpstreamObserver {
  /** Returns the callback for the outcome (null for an attempt this observer does not follow). */
  Attempt attemptStarted(UpstreamCall call, MultiMap headers);

  interface Attempt {
    /** {@code failure} is null when the upstream answered (for a stream: with its first chunk). */
    void ended(Throwable failure);
  }
}
