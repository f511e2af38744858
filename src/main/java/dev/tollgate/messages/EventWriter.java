package dev.tollgate.messages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.json.Json;
import dev.tollgate.provider.ChunkStream;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.anthropic.AnthropicWire;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * Writes Anthropic's typed SSE ({@code event: <type>} + {@code data: {...}}) to the client as
 * events are ready, pausing the upstream while the client's socket is full, and ending a
 * broken stream with an {@code error} event.
 */
abstract class EventWriter implements ChunkStream.Listener {
  private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

  protected final HttpServerResponse response;
  protected final ProxyCall call;
  private ChunkStream stream;

  EventWriter(HttpServerResponse response, ProxyCall call) {
    this.response = response;
    this.call = call;
  }

  final void start(ChunkStream chunks) {
    this.stream = chunks;
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no");
    chunks.start(this);
  }

  protected final void write(String type, ObjectNode event) {
    write(type, Json.buffer(event));
  }

  protected final void write(String type, Buffer json) {
    if (response.closed()) {
      return;
    }
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    response.write(Buffer.buffer(json.length() + name.length + 16).appendBytes(EVENT).appendBytes(name)
        .appendBytes(DATA).appendBuffer(json).appendBytes(END));
    if (response.writeQueueFull()) {
      stream.pause();
      response.drainHandler(v -> stream.resume());
    }
  }

  /** Ends the response after the last event. */
  protected final void finish() {
    if (!response.closed()) {
      response.end();
    }
    call.complete(new ProxyCall.Outcome(200, null, null, false));
  }

  /** Stops reading the upstream and ends the client's stream with an error. */
  protected final void fail(UpstreamException e) {
    stream.cancel();
    onError(e);
  }

  /** Before anything was written the client still gets a proper HTTP error; after, an {@code error} event. */
  @Override
  public void onError(UpstreamException e) {
    ApiError error = ApiError.from(e);
    if (!response.headWritten()) {
      MessagesHandler.writeError(response, error);
      call.complete(new ProxyCall.Outcome(error.status(), null, error, false));
      return;
    }
    write("error", AnthropicWire.errorBody(error.status(), error.code(), error.message()));
    if (!response.closed()) {
      response.end();
    }
    call.complete(new ProxyCall.Outcome(200, null, error, false));
  }
}
