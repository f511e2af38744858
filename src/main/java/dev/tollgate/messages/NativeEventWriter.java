package dev.tollgate.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Relays an Anthropic deployment's own events unchanged, noting the usage they report. */
final class NativeEventWriter extends EventWriter {
  /** message_start reports the input side, message_delta the (cumulative) output side. */
  private final ObjectNode usage = Json.object();

  NativeEventWriter(HttpServerResponse response, ProxyCall call) {
    super(response, call);
  }

  @Override
  public void onChunk(Buffer event) {
    JsonNode node = Json.tryParse(event);
    String type = node == null ? "message" : node.path("type").asText("message");
    JsonNode reported = switch (type) {
      case "message_start" -> node.path("message").path("usage");
      case "message_delta" -> node.path("usage");
      default -> null;
    };
    if (reported != null && reported.isObject()) {
      reported.properties().forEach(e -> {
        if (!e.getValue().isNull()) {
          usage.set(e.getKey(), e.getValue());
        }
      });
      call.usage = MessagesResponse.usage(usage);
    }
    call.chunkSent(event);
    write(type, event);
  }

  @Override
  public void onEnd() {
    finish();
  }
}
