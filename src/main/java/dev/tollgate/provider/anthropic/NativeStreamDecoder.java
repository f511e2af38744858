package dev.tollgate.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;

/** Passes Anthropic's events through unchanged, for Anthropic clients of {@code /v1/messages}. */
final class NativeStreamDecoder extends AnthropicEventDecoder {
  @Override
  protected void onEvent(String type, JsonNode event, Buffer raw, Emitter out) {
    out.chunk(raw);
  }
}
