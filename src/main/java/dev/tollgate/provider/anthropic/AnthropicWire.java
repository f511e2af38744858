package dev.tollgate.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.UpstreamErrors;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The parts of Anthropic's Messages wire format both directions share: the version header,
 * stop reasons, usage and error types, each mapped to and from OpenAI's.
 */
public final class AnthropicWire {
  public static final String VERSION = "2023-06-01";
  /** The forced tool LiteLLM uses to get JSON out of Claude for {@code response_format}. */
  public static final String JSON_TOOL = "json_tool_call";

  private AnthropicWire() {}

  public static String finishReason(String stopReason) {
    if (stopReason == null) {
      return null;
    }
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence, pause_turn
    };
  }

  public static String stopReason(String finishReason) {
    if (finishReason == null) {
      return null;
    }
    return switch (finishReason) {
      case "length" -> "max_tokens";
      case "tool_calls", "function_call" -> "tool_use";
      case "content_filter" -> "refusal";
      default -> "end_turn";
    };
  }

  /**
   * OpenAI's usage block for Anthropic's: prompt tokens include the cached ones (read and written),
   * as OpenAI counts them, with the read part in {@code prompt_tokens_details.cached_tokens}.
   */
  public static ObjectNode openAiUsage(long input, long output, long cacheRead, long cacheCreation) {
    long prompt = input + cacheRead + cacheCreation;
    ObjectNode u = Json.object()
        .put("prompt_tokens", prompt)
        .put("completion_tokens", output)
        .put("total_tokens", prompt + output);
    u.putObject("prompt_tokens_details").put("cached_tokens", cacheRead);
    u.put("cache_read_input_tokens", cacheRead);
    u.put("cache_creation_input_tokens", cacheCreation);
    return u;
  }

  /** Anthropic's usage block for OpenAI's (the inverse of {@link #openAiUsage}). */
  public static ObjectNode anthropicUsage(JsonNode openAiUsage) {
    long cached = openAiUsage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
    long creation = openAiUsage.path("cache_creation_input_tokens").asLong(0);
    long prompt = openAiUsage.path("prompt_tokens").asLong(0);
    return Json.object()
        .put("input_tokens", Math.max(0, prompt - cached - creation))
        .put("output_tokens", openAiUsage.path("completion_tokens").asLong(0))
        .put("cache_read_input_tokens", cached)
        .put("cache_creation_input_tokens", creation);
  }

  /** Adds an Anthropic {@code tool_use} block to OpenAI {@code tool_calls} (its input as the arguments string). */
  public static void addToolCall(com.fasterxml.jackson.databind.node.ArrayNode toolCalls, JsonNode toolUse) {
    ObjectNode call = toolCalls.addObject().put("id", toolUse.path("id").asText()).put("type", "function");
    call.putObject("function").put("name", toolUse.path("name").asText()).put("arguments", toolUse.path("input").toString());
  }

  /** An OpenAI assistant message's {@code content} and {@code tool_calls} (content null when there are only calls, as OpenAI sends it). */
  public static void setContentAndToolCalls(ObjectNode message, CharSequence text, com.fasterxml.jackson.databind.node.ArrayNode toolCalls) {
    if (text.isEmpty() && !toolCalls.isEmpty()) {
      message.putNull("content");
    } else {
      message.put("content", text.toString());
    }
    if (!toolCalls.isEmpty()) {
      message.set("tool_calls", toolCalls);
    }
  }

  /**
   * OpenAI tool-call arguments as the JSON object Anthropic's {@code input} must be: a non-object
   * value under "value", text that is not JSON under "arguments".
   */
  public static JsonNode toolInput(String arguments) {
    if (arguments.isBlank()) {
      return Json.object();
    }
    try {
      JsonNode parsed = Json.MAPPER.readTree(arguments);
      return parsed.isObject() ? parsed : Json.object().set("value", parsed);
    } catch (java.io.IOException e) {
      return Json.object().put("arguments", arguments);
    }
  }

  /** Anthropic's error type for an HTTP status, as its API documents them. */
  public static String errorType(int status) {
    return switch (status) {
      case 400, 413, 422 -> status == 413 ? "request_too_large" : "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      case 408, 504 -> "timeout_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }

  /**
   * {@code {"type":"error","error":{"type","message"}}}; {@code code} is the Anthropic error type
   * when the error came from Anthropic (kept as the OpenAI error's code), else null.
   */
  public static ObjectNode errorBody(int status, String code, String message) {
    ObjectNode root = Json.object().put("type", "error");
    String type = code != null && code.endsWith("_error") ? code : errorType(status);
    root.putObject("error").put("type", type).put("message", message);
    return root;
  }

  /**
   * An Anthropic error response as the OpenAI error a client sees: 529 (overloaded) becomes 503,
   * Anthropic's error type is kept as the {@code code}.
   */
  public static UpstreamException error(int status, MultiMap headers, Buffer body) {
    UpstreamException parsed = UpstreamErrors.fromResponse("Anthropic", status, headers, body);
    return fromErrorType(status, parsed.type(), parsed.getMessage(), parsed.retryAfter().orElse(null));
  }

  /** An {@code error} event inside a stream (no HTTP status of its own). */
  public static UpstreamException streamError(JsonNode event) {
    JsonNode err = event.path("error");
    String type = err.path("type").asText("api_error");
    int status = switch (type) {
      case "invalid_request_error" -> 400;
      case "authentication_error" -> 401;
      case "permission_error" -> 403;
      case "not_found_error" -> 404;
      case "request_too_large" -> 413;
      case "rate_limit_error" -> 429;
      case "overloaded_error" -> 529;
      default -> 500;
    };
    return fromErrorType(status, type, "Anthropic error: " + err.path("message").asText("stream error"), null);
  }

  private static UpstreamException fromErrorType(int status, String anthropicType, String message, java.time.Duration retryAfter) {
    int mapped = status == 529 ? 503 : status;
    String code = anthropicType == null || anthropicType.equals(UpstreamException.typeFor(status)) ? null : anthropicType;
    return new UpstreamException(mapped, UpstreamException.typeFor(mapped), message, null, code, retryAfter);
  }
}
