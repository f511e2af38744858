package dev.tollgate.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.anthropic.AnthropicWire;

/** An OpenAI {@code chat.completion} as an Anthropic Message; and Anthropic usage as the gateway's. */
final class MessagesResponse {
  private MessagesResponse() {}

  static ObjectNode fromOpenAi(JsonNode completion, String model) {
    JsonNode choice = completion.path("choices").path(0);
    JsonNode message = choice.path("message");
    ObjectNode out = Json.object().put("id", messageId(completion.path("id").asText()))
        .put("type", "message").put("role", "assistant").put("model", model);
    ArrayNode content = out.putArray("content");
    String reasoning = message.path("reasoning_content").asText("");
    if (!reasoning.isEmpty()) {
      content.addObject().put("type", "thinking").put("thinking", reasoning).put("signature", "");
    }
    String text = message.path("content").asText("");
    if (!text.isEmpty()) {
      content.addObject().put("type", "text").put("text", text);
    }
    for (JsonNode call : message.path("tool_calls")) {
      ObjectNode use = content.addObject().put("type", "tool_use").put("id", call.path("id").asText())
          .put("name", call.path("function").path("name").asText());
      use.set("input", AnthropicWire.toolInput(call.path("function").path("arguments").asText("")));
    }
    String finish = choice.path("finish_reason").asText(null);
    out.put("stop_reason", AnthropicWire.stopReason(finish == null ? "stop" : finish));
    out.putNull("stop_sequence");
    out.set("usage", AnthropicWire.anthropicUsage(completion.path("usage")));
    return out;
  }

  static String messageId(String openAiId) {
    return openAiId.startsWith("msg_") ? openAiId : "msg_" + openAiId;
  }

  /** The gateway's usage record for an Anthropic usage block (prompt tokens include the cached ones). */
  static Usage usage(JsonNode u) {
    long cacheRead = u.path("cache_read_input_tokens").asLong(0);
    long cacheCreation = u.path("cache_creation_input_tokens").asLong(0);
    return new Usage(u.path("input_tokens").asLong(0) + cacheRead + cacheCreation, u.path("output_tokens").asLong(0),
        cacheRead, 0, cacheCreation);
  }
}
