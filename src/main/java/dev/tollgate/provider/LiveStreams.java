package dev.tollgate.provider;

import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstream streams being relayed, per Vert.x instance (one per gateway, and tests run several
 * in one JVM), so that a gateway that stops can end its own streams properly before the drain
 * timeout cuts their connections: each client then reads its protocol's error event, not a
 * silent end.
 */
public final class LiveStreams {
  private static final Map<Vertx, Set<UpstreamStream>> BY_VERTX = new ConcurrentHashMap<>();

  private LiveStreams() {}

  static void add(Vertx vertx, UpstreamStream stream) {
    BY_VERTX.computeIfAbsent(vertx, v -> ConcurrentHashMap.newKeySet()).add(stream);
  }

  static void remove(Vertx vertx, UpstreamStream stream) {
    Set<UpstreamStream> streams = BY_VERTX.get(vertx);
    if (streams != null) {
      streams.remove(stream);
    }
  }

  /** Fails every stream of {@code vertx} with {@code why}, each on its own event loop; returns how many. */
  public static int endAll(Vertx vertx, UpstreamException why) {
    Set<UpstreamStream> streams = BY_VERTX.remove(vertx);
    if (streams == null) {
      return 0;
    }
    streams.forEach(s -> s.failOnItsLoop(why));
    return streams.size();
  }
}
