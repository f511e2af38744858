package dev.tollgate.provider;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Relays one streaming upstream response as OpenAI chunks. The reply future completes when the
 * first chunk is decoded (so callers can still retry before that), chunks that arrive before
 * {@link #start} are queued, and the client's back-pressure pauses the upstream socket.
 * Confined to the event loop of the request.
 */
public final class UpstreamStream implements ChunkStream, StreamDecoder.Emitter {
  private final Vertx vertx;
  private final Context context;
  private final HttpClientRequest request;
  private final HttpClientResponse response;
  private final StreamDecoder decoder;
  private final Promise<ProviderReply> reply;
  private final MultiMap replyHeaders;
  private final Duration idleTimeout;
  private final ArrayDeque<Buffer> early = new ArrayDeque<>();
  private Listener listener;
  private boolean first = true;
  private boolean done;
  private boolean endPending;
  private UpstreamException errorPending;
  private long timer = -1;
  private long timerFiresAtNanos;
  private long deadlineNanos;
  private String timeoutReason;
  private final String idleReason;

  private UpstreamStream(Vertx vertx, HttpClientRequest request, HttpClientResponse response, StreamDecoder decoder,
      Promise<ProviderReply> reply, MultiMap replyHeaders, Duration idleTimeout) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.request = request;
    this.response = response;
    this.decoder = decoder;
    this.reply = reply;
    this.replyHeaders = replyHeaders;
    this.idleTimeout = idleTimeout;
    this.idleReason = "no chunk within timeout (" + seconds(idleTimeout) + "s)";
  }

  /**
   * Starts reading a 2xx streaming response. {@code firstChunkTimeout} bounds the wait for the
   * first chunk ({@code stream_timeout}), {@code idleTimeout} every later gap between chunks.
   */
  public static void relay(Vertx vertx, HttpClientRequest request, HttpClientResponse response, StreamDecoder decoder,
      Promise<ProviderReply> reply, MultiMap replyHeaders, Duration firstChunkTimeout, Duration idleTimeout, Cancellation cancellation) {
    UpstreamStream s = new UpstreamStream(vertx, request, response, decoder, reply, replyHeaders, idleTimeout);
    s.arm(firstChunkTimeout, "no first chunk within stream_timeout");
    LiveStreams.add(vertx, s);
    cancellation.onCancel(s::cancel);
    response.handler(bytes -> {
      if (!s.done) {
        decoder.decode(bytes, s);
      }
    });
    response.endHandler(v -> {
      if (!s.done) {
        decoder.finish(s);
        if (!s.done) {
          s.end();
        }
      }
    });
    response.exceptionHandler(e -> s.error(UpstreamException.unreachable("upstream stream broke off: " + e.getMessage())));
  }

  @Override
  public void chunk(Buffer json) {
    if (done) {
      return;
    }
    deadlineNanos = System.nanoTime() + idleTimeout.toNanos();
    timeoutReason = idleReason;
    if (first) {
      first = false;
      if (timer >= 0 && deadlineNanos < timerFiresAtNanos) {
        // the idle timeout is shorter than stream_timeout: the timer set for the first chunk fires too late
        vertx.cancelTimer(timer);
        schedule(idleTimeout.toNanos());
      }
      early.add(json);
      reply.tryComplete(new ProviderReply.Streaming(this, replyHeaders));
      return;
    }
    if (listener == null) {
      early.add(json);
    } else {
      listener.onChunk(json);
    }
  }

  @Override
  public void end() {
    if (done) {
      return;
    }
    finish();
    if (first) {
      // an empty stream: still a valid (empty) answer
      first = false;
      endPending = true;
      reply.tryComplete(new ProviderReply.Streaming(this, replyHeaders));
    } else if (listener == null) {
      endPending = true;
    } else {
      listener.onEnd();
    }
  }

  @Override
  public void error(UpstreamException e) {
    if (done) {
      return;
    }
    finish();
    request.reset();
    if (first) {
      reply.tryFail(e);
    } else if (listener == null) {
      errorPending = e;
    } else {
      listener.onError(e);
    }
  }

  @Override
  public void start(Listener l) {
    this.listener = l;
    while (!early.isEmpty()) {
      l.onChunk(early.poll());
    }
    if (endPending) {
      l.onEnd();
    } else if (errorPending != null) {
      l.onError(errorPending);
    }
  }

  @Override
  public void pause() {
    response.pause();
  }

  @Override
  public void resume() {
    response.resume();
  }

  @Override
  public void cancel() {
    if (done) {
      return;
    }
    finish();
    listener = null;
    request.reset();
    reply.tryFail(UpstreamException.of(499, "client closed the request"));
  }

  /** From any thread: fails the stream as its upstream breaking off would (the gateway is stopping). */
  void failOnItsLoop(UpstreamException why) {
    context.runOnContext(v -> error(why));
  }

  private void finish() {
    done = true;
    LiveStreams.remove(vertx, this);
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Moves the deadline; one timer re-arms itself instead of a timer per chunk. */
  private void arm(Duration timeout, String what) {
    deadlineNanos = System.nanoTime() + timeout.toNanos();
    timeoutReason = what + " (" + seconds(timeout) + "s)";
    if (timer < 0) {
      schedule(timeout.toNanos());
    }
  }

  private void schedule(long nanos) {
    timerFiresAtNanos = System.nanoTime() + nanos;
    timer = vertx.setTimer(Math.max(1, nanos / 1_000_000), id -> {
      timer = -1;
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        schedule(left);
      } else {
        error(UpstreamException.timeout("upstream timed out: " + timeoutReason));
      }
    });
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : Double.toString(d.toMillis() / 1000.0);
  }
}
