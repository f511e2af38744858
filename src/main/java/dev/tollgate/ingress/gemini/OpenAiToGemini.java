package dev.tollgate.ingress.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.json.Json;
import java.io.IOException;

/** OpenAI responses, chunks and errors in Gemini's shapes. */
final class OpenAiToGemini {
  private OpenAiToGemini() {}

  /** A whole chat completion as a GenerateContentResponse. */
  static ObjectNode response(JsonNode openAi) {
    JsonNode choice = openAi.path("choices").path(0);
    JsonNode message = choice.path("message");
    ObjectNode out = Json.object();
    ObjectNode candidate = out.putArray("candidates").addObject();
    ArrayNode parts = candidate.putObject("content").put("role", "model").putArray("parts");
    addText(parts, message.path("reasoning_content").asText(""), true);
    addText(parts, message.path("content").asText(""), false);
    for (JsonNode tc : message.path("tool_calls")) {
      parts.add(functionCall(tc.path("function").path("name").asText(), tc.path("function").path("arguments").asText("{}")));
    }
    candidate.put("finishReason", finishReason(choice.path("finish_reason").asText("stop")));
    candidate.put("index", 0);
    ObjectNode usage = usage(openAi.get("usage"));
    if (usage != null) {
      out.set("usageMetadata", usage);
    }
    out.put("modelVersion", openAi.path("model").asText());
    out.put("responseId", openAi.path("id").asText());
    return out;
  }

  static void addText(ArrayNode parts, String text, boolean thought) {
    if (!text.isEmpty()) {
      ObjectNode p = parts.addObject().put("text", text);
      if (thought) {
        p.put("thought", true);
      }
    }
  }

  static ObjectNode functionCall(String name, String arguments) {
    ObjectNode part = Json.object();
    ObjectNode fc = part.putObject("functionCall").put("name", name);
    try {
      JsonNode args = arguments.isBlank() ? Json.object() : Json.MAPPER.readTree(arguments);
      fc.set("args", args);
    } catch (IOException e) {
      fc.putObject("args").put("_raw", arguments);
    }
    return part;
  }

  static String finishReason(String openAi) {
    return switch (openAi) {
      case "length" -> "MAX_TOKENS";
      case "content_filter" -> "SAFETY";
      default -> "STOP";
    };
  }

  static ObjectNode usage(JsonNode u) {
    if (u == null || !u.isObject()) {
      return null;
    }
    long prompt = u.path("prompt_tokens").asLong(0);
    long completion = u.path("completion_tokens").asLong(0);
    long reasoning = u.path("completion_tokens_details").path("reasoning_tokens").asLong(0);
    ObjectNode out = Json.object().put("promptTokenCount", prompt).put("candidatesTokenCount", completion - reasoning)
        .put("totalTokenCount", prompt + completion);
    long cached = u.path("prompt_tokens_details").path("cached_tokens").asLong(0);
    if (cached > 0) {
      out.put("cachedContentTokenCount", cached);
    }
    if (reasoning > 0) {
      out.put("thoughtsTokenCount", reasoning);
    }
    return out;
  }

  /** Google's error shape: {@code {"error":{"code","message","status"}}}. */
  static ObjectNode error(ApiError e) {
    ObjectNode out = Json.object();
    out.putObject("error").put("code", e.status()).put("message", e.message()).put("status", switch (e.status()) {
      case 400, 413, 422 -> "INVALID_ARGUMENT";
      case 401 -> "UNAUTHENTICATED";
      case 403 -> "PERMISSION_DENIED";
      case 404 -> "NOT_FOUND";
      case 408, 504 -> "DEADLINE_EXCEEDED";
      case 429 -> "RESOURCE_EXHAUSTED";
      case 499 -> "CANCELLED";
      case 502, 503 -> "UNAVAILABLE";
      default -> "INTERNAL";
    });
    return out;
  }
}
