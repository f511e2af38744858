package dev.tollgate.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Re-chunks Anthropic's stream into OpenAI {@code chat.completion.chunk}s: text deltas as
 * {@code content}, thinking as {@code reasoning_content}, each tool_use block as one entry of
 * {@code tool_calls} (its own index, arguments from {@code input_json_delta}), the stop reason as
 * {@code finish_reason}, and a last usage-only chunk.
 */
final class OpenAiChunkDecoder extends AnthropicEventDecoder {
  private final boolean jsonMode;
  private final long created = System.currentTimeMillis() / 1000;
  /** Anthropic content block index → OpenAI tool_calls index; -1 for the JSON-mode tool (streamed as text). */
  private final Map<Integer, Integer> toolIndex = new HashMap<>();
  private String id = "";
  private String model = "";
  private long input;
  private long output;
  private long cacheRead;
  private long cacheCreation;
  private boolean jsonAnswer;
  /** The thinking block being streamed, its text and signature accumulated. */
  private ObjectNode thinking;

  OpenAiChunkDecoder(boolean jsonMode) {
    this.jsonMode = jsonMode;
  }

  @Override
  protected void onEvent(String type, JsonNode event, Buffer raw, Emitter out) {
    switch (type) {
      case "message_start" -> {
        JsonNode msg = event.path("message");
        id = msg.path("id").asText();
        model = msg.path("model").asText();
        usage(msg.path("usage"));
        ObjectNode chunk = chunk();
        delta(chunk).put("role", "assistant").put("content", "");
        out.chunk(Json.buffer(chunk));
      }
      case "content_block_start" -> blockStart(event.path("index").asInt(), event.path("content_block"), out);
      case "content_block_delta" -> blockDelta(event.path("index").asInt(), event.path("delta"), out);
      case "content_block_stop" -> {
        if (thinking != null) {
          thinkingBlock(thinking, out);
          thinking = null;
        }
      }
      case "message_delta" -> {
        usage(event.path("usage"));
        String finish = AnthropicWire.finishReason(event.path("delta").path("stop_reason").asText(null));
        if (finish != null) {
          ObjectNode chunk = chunk();
          delta(chunk);
          choice(chunk).put("finish_reason", jsonAnswer && finish.equals("tool_calls") ? "stop" : finish);
          out.chunk(Json.buffer(chunk));
        }
      }
      case "message_stop" -> {
        ObjectNode chunk = chunk();
        chunk.putArray("choices");
        chunk.set("usage", AnthropicWire.openAiUsage(input, output, cacheRead, cacheCreation));
        out.chunk(Json.buffer(chunk));
      }
      default -> { } // ping, and event types added later
    }
  }

  private void blockStart(int index, JsonNode block, Emitter out) {
    switch (block.path("type").asText()) {
      case "text" -> text(block.path("text").asText(""), "content", out);
      case "thinking" -> {
        thinking = ((ObjectNode) block).deepCopy();
        text(block.path("thinking").asText(""), "reasoning_content", out);
      }
      case "redacted_thinking" -> thinkingBlock((ObjectNode) block, out);
      case "tool_use" -> {
        if (jsonMode && AnthropicWire.JSON_TOOL.equals(block.path("name").asText())) {
          toolIndex.put(index, -1);
          jsonAnswer = true;
          return;
        }
        int n = (int) toolIndex.values().stream().filter(i -> i >= 0).count();
        toolIndex.put(index, n);
        ObjectNode chunk = chunk();
        ObjectNode call = delta(chunk).putArray("tool_calls").addObject().put("index", n)
            .put("id", block.path("id").asText()).put("type", "function");
        call.putObject("function").put("name", block.path("name").asText()).put("arguments", "");
        out.chunk(Json.buffer(chunk));
      }
      default -> { }
    }
  }

  private void blockDelta(int index, JsonNode delta, Emitter out) {
    switch (delta.path("type").asText()) {
      case "text_delta" -> text(delta.path("text").asText(""), "content", out);
      case "thinking_delta" -> {
        String piece = delta.path("thinking").asText("");
        if (thinking != null) {
          thinking.put("thinking", thinking.path("thinking").asText("") + piece);
        }
        text(piece, "reasoning_content", out);
      }
      case "signature_delta" -> {
        if (thinking != null) {
          thinking.put("signature", thinking.path("signature").asText("") + delta.path("signature").asText(""));
        }
      }
      case "input_json_delta" -> {
        String partial = delta.path("partial_json").asText("");
        Integer n = toolIndex.get(index);
        if (n == null || partial.isEmpty()) {
          return;
        }
        if (n < 0) {
          text(partial, "content", out);
          return;
        }
        ObjectNode chunk = chunk();
        delta(chunk).putArray("tool_calls").addObject().put("index", n).putObject("function").put("arguments", partial);
        out.chunk(Json.buffer(chunk));
      }
      default -> { } // citations_delta
    }
  }

  /**
   * A finished (signed) thinking block as {@code thinking_blocks}, as LiteLLM streams it: a client
   * that sends it back with the next turn keeps extended thinking working across tool calls.
   */
  private void thinkingBlock(ObjectNode block, Emitter out) {
    ObjectNode chunk = chunk();
    delta(chunk).putArray("thinking_blocks").add(block);
    out.chunk(Json.buffer(chunk));
  }

  private void text(String text, String field, Emitter out) {
    if (text.isEmpty()) {
      return;
    }
    ObjectNode chunk = chunk();
    delta(chunk).put(field, text);
    out.chunk(Json.buffer(chunk));
  }

  /** Anthropic reports input usage in message_start and output (cumulative) in message_delta. */
  private void usage(JsonNode u) {
    if (!u.isObject()) {
      return;
    }
    input = Math.max(input, u.path("input_tokens").asLong(0));
    output = Math.max(output, u.path("output_tokens").asLong(0));
    cacheRead = Math.max(cacheRead, u.path("cache_read_input_tokens").asLong(0));
    cacheCreation = Math.max(cacheCreation, u.path("cache_creation_input_tokens").asLong(0));
  }

  private ObjectNode chunk() {
    ObjectNode c = Json.object().put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
    c.putArray("choices").addObject().put("index", 0).putNull("finish_reason");
    return c;
  }

  private static ObjectNode choice(ObjectNode chunk) {
    return (ObjectNode) chunk.get("choices").get(0);
  }

  private static ObjectNode delta(ObjectNode chunk) {
    return choice(chunk).putObject("delta");
  }
}
