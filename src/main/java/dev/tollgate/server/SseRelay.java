package dev.tollgate.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.CallHeaders;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.ChunkStream;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes a chunk stream to the client as OpenAI's SSE: one {@code data: {...}} event per chunk
 * as it arrives, {@code data: [DONE]} at the end, an error event if the stream breaks mid-way.
 * A slow client pauses the upstream instead of buffering without bound.
 *
 * <p>The events that arrive in one go (decoded from one upstream read) leave in one write, at the
 * end of the event loop's current task: one syscall and TCP segment instead of one per event,
 * which the benchmark's profile showed to be the biggest cost of a stream. Nothing waits longer
 * than that task.
 */
final class SseRelay implements ChunkStream.Listener {
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END_OF_EVENT = "\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
  private static final int EVENT_FRAMING = DATA.length + END_OF_EVENT.length;
  /**
   * Room for the rest of a read once a second event arrives in the same turn. The first event gets
   * a buffer of its own size: a model streams one small event per read, and a 2 KB buffer for each
   * made the pending buffers most of a stream's garbage.
   */
  private static final int MORE_EVENTS_CAPACITY = 4096;

  private final HttpServerResponse response;
  private final ProxyCall call;
  private final ChunkStream stream;
  private final boolean forwardUsageChunk;
  private final Context context = Vertx.currentContext();
  /** Events not written yet; null when there are none. */
  private Buffer pending;
  private int pendingCapacity;

  private SseRelay(HttpServerResponse response, ProxyCall call, ChunkStream stream) {
    this.response = response;
    this.call = call;
    this.stream = stream;
    this.forwardUsageChunk = call.clientWantsStreamUsage();
  }

  static void start(HttpServerResponse response, ProxyCall call, ChunkStream stream) {
    response.setChunked(true)
        .putHeader(CallHeaders.CONTENT_TYPE, CallHeaders.EVENT_STREAM)
        .putHeader(CallHeaders.CACHE_CONTROL, CallHeaders.NO_CACHE)
        .putHeader(CallHeaders.ACCEL_BUFFERING, CallHeaders.NO);
    stream.start(new SseRelay(response, call, stream));
  }

  static Buffer frame(Buffer json) {
    return appendEvent(Buffer.buffer(json.length() + EVENT_FRAMING), json);
  }

  private static Buffer appendEvent(Buffer to, Buffer json) {
    return to.appendBytes(DATA).appendBuffer(json).appendBytes(END_OF_EVENT);
  }

  @Override
  public void onChunk(Buffer json) {
    if (response.closed()) {
      return;
    }
    Usage usage = Usage.parse(json); // null at once for the chunks with "usage":null
    if (usage != null) {
      call.usage = usage;
      if (!forwardUsageChunk && isUsageOnly(json)) {
        return; // asked of the upstream for accounting, not by the client
      }
    }
    call.chunkSent(json);
    if (pending == null) {
      pending = frame(json);
      pendingCapacity = pending.length();
      if (context != null) {
        context.runOnContext(v -> flush());
      }
    } else {
      int size = json.length() + EVENT_FRAMING;
      if (pending.length() + size > pendingCapacity) {
        pendingCapacity = Math.max(MORE_EVENTS_CAPACITY, 2 * (pending.length() + size));
        pending = Buffer.buffer(pendingCapacity).appendBuffer(pending);
      }
      appendEvent(pending, json);
    }
    if (context == null) {
      flush();
    }
  }

  private void flush() {
    Buffer events = pending;
    pending = null;
    if (events == null || response.closed() || response.ended()) {
      return;
    }
    response.write(events);
    if (response.writeQueueFull()) {
      stream.pause();
      response.drainHandler(v -> stream.resume());
    }
  }

  /** The events not written yet, followed by the last one. */
  private Buffer withPending(Buffer last) {
    Buffer events = pending == null ? last : pending.appendBuffer(last);
    pending = null;
    return events;
  }

  /** A chunk with no choices: the usage chunk OpenAI sends last when include_usage is on. */
  private static boolean isUsageOnly(Buffer json) {
    try (JsonParser p = Json.parser(Json.bytes(json))) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean choices = p.currentName().equals("choices");
        JsonToken value = p.nextToken();
        if (choices) {
          return value == JsonToken.START_ARRAY && p.nextToken() == JsonToken.END_ARRAY;
        }
        p.skipChildren();
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void onEnd() {
    if (!response.closed()) {
      response.end(withPending(DONE));
    }
    call.complete(new ProxyCall.Outcome(200, null, null, false));
  }

  @Override
  public void onError(UpstreamException e) {
    ApiError error = ApiError.from(e);
    if (!response.closed()) {
      response.end(withPending(frame(error.body())));
    }
    call.complete(new ProxyCall.Outcome(200, null, error, false));
  }
}
