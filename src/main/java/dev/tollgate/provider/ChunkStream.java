package dev.tollgate.provider;

import io.vertx.core.buffer.Buffer;

/**
 * A stream of OpenAI chunk payloads (the JSON after {@code data: }, without {@code [DONE]}).
 * Delivery starts with {@link #start}; chunks that arrived earlier are delivered first.
 */
public interface ChunkStream {
  void start(Listener listener);

  /** Stops reading from the upstream until {@link #resume} (back-pressure from a slow client). */
  void pause();

  void resume();

  /** Aborts the upstream request (the client went away). No listener call follows. */
  void cancel();

  interface Listener {
    void onChunk(Buffer json);

    void onEnd();

    void onError(UpstreamException error);
  }
}
