package dev.tollgate.provider;

import io.vertx.core.buffer.Buffer;
import java.util.List;

/** A stream of chunks that already exist (a mock answer, a cached answer), honouring pause and cancel. */
public final class ReplayedStream implements ChunkStream {
  private final List<Buffer> chunks;
  private int next;
  private Listener listener;
  private boolean paused;
  private boolean cancelled;
  private boolean ended;

  public ReplayedStream(List<Buffer> chunks) {
    this.chunks = chunks;
  }

  @Override
  public void start(Listener l) {
    this.listener = l;
    drain();
  }

  @Override
  public void pause() {
    paused = true;
  }

  @Override
  public void resume() {
    paused = false;
    drain();
  }

  @Override
  public void cancel() {
    cancelled = true;
  }

  private void drain() {
    while (listener != null && !paused && !cancelled && next < chunks.size()) {
      listener.onChunk(chunks.get(next++));
    }
    if (listener != null && !cancelled && !ended && next == chunks.size()) {
      ended = true;
      listener.onEnd();
    }
  }
}
