package dev.tollgate.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.RequestParams;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import java.util.Set;

/** OpenAI chat requests as Bedrock Converse bodies, and Converse's stop reasons and usage as OpenAI's. */
final class BedrockConverse {
  static final Set<String> CHAT_PARAMS = Set.of("model", "messages", "stream", "stream_options", "temperature", "top_p",
      "max_tokens", "max_completion_tokens", "stop", "tools", "tool_choice", "parallel_tool_calls");

  private BedrockConverse() {}

  static ObjectNode request(UpstreamCall call) {
    ObjectNode req = call.body();
    RequestParams.enforceSupported(req, CHAT_PARAMS, call.dropParams(), "Bedrock");
    ObjectNode out = Json.object();
    ArrayNode messages = out.putArray("messages");
    ArrayNode system = Json.MAPPER.createArrayNode();
    for (JsonNode m : req.get("messages")) {
      switch (m.path("role").asText()) {
        case "system", "developer" -> system.addObject().put("text", OpenAiShapes.text(m.get("content")));
        case "assistant" -> {
          ArrayNode content = contentFor(messages, "assistant");
          String text = OpenAiShapes.text(m.get("content"));
          if (!text.isEmpty()) {
            content.addObject().put("text", text);
          }
          for (JsonNode tc : m.path("tool_calls")) {
            ObjectNode use = content.addObject().putObject("toolUse");
            use.put("toolUseId", tc.path("id").asText()).put("name", tc.path("function").path("name").asText());
            use.set("input", OpenAiShapes.arguments(tc));
          }
        }
        case "tool", "function" -> {
          ObjectNode result = contentFor(messages, "user").addObject().putObject("toolResult");
          result.put("toolUseId", m.path("tool_call_id").asText());
          JsonNode value = OpenAiShapes.toolResult(m.get("content"));
          ObjectNode block = result.putArray("content").addObject();
          if (value.size() == 1 && value.has("content")) {
            block.put("text", value.get("content").asText());
          } else {
            block.set("json", value);
          }
        }
        default -> {
          ArrayNode content = contentFor(messages, "user");
          String text = OpenAiShapes.text(m.get("content"));
          if (!text.isEmpty() || !m.path("content").isArray()) {
            content.addObject().put("text", text);
          }
          for (OpenAiShapes.Image img : OpenAiShapes.images(m.get("content"))) {
            if (!img.inline()) {
              throw new UpstreamException(400, "invalid_request_error",
                  "Bedrock takes images inline only: send them as data: URLs (base64)", "messages", null, null);
            }
            ObjectNode image = content.addObject().putObject("image");
            image.put("format", img.mimeType().substring(img.mimeType().indexOf('/') + 1));
            image.putObject("source").put("bytes", img.base64());
          }
        }
      }
    }
    if (!system.isEmpty()) {
      out.set("system", system);
    }
    ObjectNode inference = Json.object();
    OpenAiShapes.rename(req, inference, "temperature", "temperature", "top_p", "topP");
    OpenAiShapes.limits(req, inference, "maxTokens", "stopSequences");
    if (!inference.isEmpty()) {
      out.set("inferenceConfig", inference);
    }
    tools(req, out);
    return out;
  }

  private static void tools(ObjectNode req, ObjectNode out) {
    JsonNode tools = req.get("tools");
    if (tools == null || !tools.isArray() || tools.isEmpty() || "none".equals(req.path("tool_choice").asText())) {
      if (hasToolTurns(req)) {
        // Converse refuses toolUse/toolResult blocks without a toolConfig, and has no "none"
        // choice: a placeholder tool (as LiteLLM sends) lets the conversation go on
        ObjectNode spec = out.putObject("toolConfig").putArray("tools").addObject().putObject("toolSpec")
            .put("name", "dummy_tool").put("description", "This is a dummy tool call");
        spec.putObject("inputSchema").putObject("json").put("type", "object").putObject("properties");
      }
      return;
    }
    ObjectNode config = out.putObject("toolConfig");
    ArrayNode specs = config.putArray("tools");
    for (JsonNode t : tools) {
      JsonNode fn = t.path("function");
      ObjectNode spec = specs.addObject().putObject("toolSpec").put("name", fn.path("name").asText());
      if (fn.hasNonNull("description")) {
        spec.put("description", fn.get("description").asText());
      }
      spec.putObject("inputSchema").set("json", fn.hasNonNull("parameters") ? fn.get("parameters") : Json.object().put("type", "object"));
    }
    JsonNode choice = req.get("tool_choice");
    if (choice != null && choice.isObject()) {
      config.putObject("toolChoice").putObject("tool").put("name", choice.path("function").path("name").asText());
    } else if (choice != null && "required".equals(choice.asText())) {
      config.putObject("toolChoice").putObject("any");
    } else if (choice != null && "auto".equals(choice.asText())) {
      config.putObject("toolChoice").putObject("auto");
    }
  }

  private static boolean hasToolTurns(ObjectNode req) {
    for (JsonNode m : req.path("messages")) {
      if ("tool".equals(m.path("role").asText()) || !m.path("tool_calls").isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** Bedrock wants alternating roles: consecutive messages of one role share one message. */
  private static ArrayNode contentFor(ArrayNode messages, String role) {
    JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
    if (last != null && role.equals(last.path("role").asText())) {
      return (ArrayNode) last.get("content");
    }
    return messages.addObject().put("role", role).putArray("content");
  }

  static String finishReason(String stopReason) {
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "guardrail_intervened", "content_filtered" -> "content_filter";
      default -> "stop";
    };
  }

  /** Converse usage; OpenAI's prompt tokens include the cached ones, Bedrock's inputTokens do not. */
  static ObjectNode usage(JsonNode u) {
    if (u == null || !u.isObject()) {
      return null;
    }
    long cacheRead = u.path("cacheReadInputTokens").asLong(0);
    long cacheWrite = u.path("cacheWriteInputTokens").asLong(0);
    ObjectNode usage = OpenAiShapes.usage(u.path("inputTokens").asLong(0) + cacheRead + cacheWrite, u.path("outputTokens").asLong(0), cacheRead, 0);
    if (cacheWrite > 0) {
      usage.put("cache_creation_input_tokens", cacheWrite);
    }
    return usage;
  }

  /** The OpenAI status of a ConverseStream exception event. */
  static int statusOf(String exceptionType) {
    String t = exceptionType == null ? "" : exceptionType.toLowerCase();
    if (t.contains("throttling")) {
      return 429;
    }
    if (t.contains("validation")) {
      return 400;
    }
    if (t.contains("accessdenied")) {
      return 403;
    }
    if (t.contains("timeout")) {
      return 408;
    }
    if (t.contains("unavailable")) {
      return 503;
    }
    return 500;
  }
}
