package dev.tollgate.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.buffer.Buffer;

/** An Anthropic Message as an OpenAI {@code chat.completion}. */
final class AnthropicResponse {
  private AnthropicResponse() {}

  static Buffer toOpenAi(Buffer upstreamBody, boolean jsonMode) {
    JsonNode msg = Json.tryParse(upstreamBody);
    if (msg == null || !msg.isObject() || !msg.path("content").isArray()) {
      throw UpstreamException.unreachable("Anthropic answered with something that is not a Messages response: "
          + (upstreamBody.length() > 200 ? upstreamBody.getString(0, 200) + "..." : upstreamBody.toString()));
    }
    StringBuilder text = new StringBuilder();
    StringBuilder thinking = null;
    ArrayNode thinkingBlocks = null;
    ArrayNode toolCalls = Json.MAPPER.createArrayNode();
    boolean jsonAnswer = false;
    for (JsonNode block : msg.get("content")) {
      switch (block.path("type").asText()) {
        case "text" -> text.append(block.path("text").asText());
        case "thinking", "redacted_thinking" -> {
          if (thinkingBlocks == null) {
            thinkingBlocks = Json.MAPPER.createArrayNode();
            thinking = new StringBuilder();
          }
          thinkingBlocks.add(block);
          thinking.append(block.path("thinking").asText(""));
        }
        case "tool_use" -> {
          if (jsonMode && AnthropicWire.JSON_TOOL.equals(block.path("name").asText())) {
            text.append(block.path("input").toString());
            jsonAnswer = true;
          } else {
            AnthropicWire.addToolCall(toolCalls, block);
          }
        }
        default -> { } // server tool results, citations: no OpenAI equivalent
      }
    }
    ObjectNode out = Json.object()
        .put("id", msg.path("id").asText())
        .put("object", "chat.completion")
        .put("created", System.currentTimeMillis() / 1000)
        .put("model", msg.path("model").asText());
    ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    AnthropicWire.setContentAndToolCalls(message, text, toolCalls);
    if (thinkingBlocks != null) {
      message.put("reasoning_content", thinking.toString());
      message.set("thinking_blocks", thinkingBlocks);
    }
    String finish = AnthropicWire.finishReason(msg.path("stop_reason").asText(null));
    choice.put("finish_reason", jsonAnswer && "tool_calls".equals(finish) ? "stop" : finish);
    JsonNode u = msg.path("usage");
    out.set("usage", AnthropicWire.openAiUsage(u.path("input_tokens").asLong(0), u.path("output_tokens").asLong(0),
        u.path("cache_read_input_tokens").asLong(0), u.path("cache_creation_input_tokens").asLong(0)));
    return Json.buffer(out);
  }
}
