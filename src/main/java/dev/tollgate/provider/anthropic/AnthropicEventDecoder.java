package dev.tollgate.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.SseParser;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.buffer.Buffer;

/**
 * Reads Anthropic's typed SSE events: every event's JSON goes to {@link #onEvent}; {@code error}
 * events, JSON that does not parse, and a stream that ends before {@code message_stop} fail the
 * stream with an error instead of leaving the client waiting.
 */
abstract class AnthropicEventDecoder implements StreamDecoder {
  private final SseParser parser = new SseParser(this::event);
  private Emitter out;
  private boolean stopped;
  private boolean failed;

  @Override
  public final void decode(Buffer bytes, Emitter emitter) {
    this.out = emitter;
    parser.feed(bytes);
  }

  @Override
  public final void finish(Emitter emitter) {
    this.out = emitter;
    parser.finish();
    if (!stopped && !failed) {
      failed = true;
      emitter.error(UpstreamException.unreachable("Anthropic stream ended before message_stop (truncated response)"));
    }
  }

  private void event(String name, Buffer data) {
    if (stopped || failed) {
      return;
    }
    JsonNode event = Json.tryParse(data);
    if (event == null || !event.isObject()) {
      failed = true;
      out.error(UpstreamException.unreachable("Anthropic sent an event that is not JSON: "
          + (data.length() > 120 ? data.getString(0, 120) + "..." : data.toString())));
      return;
    }
    String type = event.path("type").asText(name == null ? "" : name);
    switch (type) {
      case "error" -> {
        failed = true;
        out.error(AnthropicWire.streamError(event));
      }
      case "message_stop" -> {
        stopped = true;
        onEvent(type, event, data, out);
        out.end();
      }
      default -> onEvent(type, event, data, out);
    }
  }

  /** One event other than {@code error}; {@code message_stop} is followed by the end of the stream. */
  protected abstract void onEvent(String type, JsonNode event, Buffer raw, Emitter out);
}
