package dev.tollgate.provider;

import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstream streams being relayed, per Vert.x instance (one per gateway, and tests run several
 * in one JVM), so that a gateway that stops can end its own streams properly before the drain
 * timeout cuts their connections: each client then reads its protocol's error event, not a
 * silent end. A stream whose upstream answers after that moment is ended as soon as it starts.
 */
public final class LiveStreams {
  private static final Map<Vertx, LiveStreams> BY_VERTX = new ConcurrentHashMap<>();

  private final Set<UpstreamStream> running = ConcurrentHashMap.newKeySet();
  private volatile UpstreamException endedWith;

  private LiveStreams() {}

  static void add(Vertx vertx, UpstreamStream stream) {
    LiveStreams streams = BY_VERTX.computeIfAbsent(vertx, v -> new LiveStreams());
    streams.running.add(stream);
    UpstreamException why = streams.endedWith;
    if (why != null) {
      streams.end(stream, why); // added while or after endAll ran
    }
  }

  static void remove(Vertx vertx, UpstreamStream stream) {
    LiveStreams streams = BY_VERTX.get(vertx);
    if (streams != null) {
      streams.running.remove(stream);
    }
  }

  /**
   * Fails every stream of {@code vertx} with {@code why}, each on its own event loop, and every
   * stream that starts from now on; returns how many were running.
   */
  public static int endAll(Vertx vertx, UpstreamException why) {
    LiveStreams streams = BY_VERTX.computeIfAbsent(vertx, v -> new LiveStreams());
    streams.endedWith = why;
    int ended = 0;
    for (UpstreamStream s : streams.running) {
      if (streams.end(s, why)) {
        ended++;
      }
    }
    return ended;
  }

  /** Once the Vert.x instance is closed: nothing of it can stream any more. */
  public static void forget(Vertx vertx) {
    BY_VERTX.remove(vertx);
  }

  /** Removing first makes each stream fail once when add and endAll race. */
  private boolean end(UpstreamStream stream, UpstreamException why) {
    if (!running.remove(stream)) {
      return false;
    }
    stream.failOnItsLoop(why);
    return true;
  }
}
