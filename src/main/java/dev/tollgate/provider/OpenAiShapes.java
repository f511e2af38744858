package dev.tollgate.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What translating adapters share: reading the parts of an OpenAI chat request (text, images,
 * tools, limits) and building OpenAI responses, usage blocks and errors from a provider's answer.
 */
public final class OpenAiShapes {
  private OpenAiShapes() {}

  /** An image of a message: a {@code data:} URL split into type and base64, or a plain URL. */
  public record Image(String mimeType, String base64, String url) {
    public boolean inline() {
      return base64 != null;
    }
  }

  /** {@code max_completion_tokens}, else {@code max_tokens}; null when neither is set. */
  public static Integer maxTokens(JsonNode body) {
    JsonNode n = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
    return n == null || n.isNull() ? null : n.asInt();
  }

  /** {@code stop} as a list (OpenAI takes a string or a list). */
  public static List<String> stop(JsonNode body) {
    JsonNode s = body.get("stop");
    List<String> out = new ArrayList<>();
    if (s == null || s.isNull()) {
      return out;
    }
    if (s.isArray()) {
      s.forEach(x -> out.add(x.asText()));
    } else {
      out.add(s.asText());
    }
    return out;
  }

  /** Copies request fields that are set under the provider's names: pairs of (OpenAI name, provider name). */
  public static void rename(JsonNode from, ObjectNode to, String... pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      JsonNode v = from.get(pairs[i]);
      if (v != null && !v.isNull()) {
        to.set(pairs[i + 1], v);
      }
    }
  }

  /** Sets the token limit and the stop sequences (as a list), when the request has them, under the provider's names. */
  public static void limits(JsonNode req, ObjectNode to, String maxTokensName, String stopName) {
    Integer max = maxTokens(req);
    if (max != null) {
      to.put(maxTokensName, max);
    }
    List<String> stop = stop(req);
    if (!stop.isEmpty()) {
      ArrayNode s = to.putArray(stopName);
      stop.forEach(s::add);
    }
  }

  /** The text of a message's content: a string, or the text parts of a list joined. */
  public static String text(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder sb = new StringBuilder();
    for (JsonNode part : content) {
      if (part.isTextual()) {
        sb.append(part.asText());
      } else if (part.has("text")) {
        sb.append(part.get("text").asText());
      }
    }
    return sb.toString();
  }

  /** The image parts of a message's content. */
  public static List<Image> images(JsonNode content) {
    List<Image> out = new ArrayList<>();
    if (content == null || !content.isArray()) {
      return out;
    }
    for (JsonNode part : content) {
      if ("image_url".equals(part.path("type").asText()) || part.has("image_url")) {
        JsonNode u = part.get("image_url");
        out.add(image(u.isTextual() ? u.asText() : u.path("url").asText()));
      }
    }
    return out;
  }

  public static Image image(String url) {
    if (url.startsWith("data:")) {
      int semi = url.indexOf(';');
      int comma = url.indexOf(',');
      if (semi > 5 && comma > semi) {
        return new Image(url.substring(5, semi), url.substring(comma + 1), null);
      }
    }
    return new Image(guessMime(url), null, url);
  }

  private static String guessMime(String url) {
    String u = url.toLowerCase();
    if (u.endsWith(".png")) {
      return "image/png";
    }
    if (u.endsWith(".gif")) {
      return "image/gif";
    }
    if (u.endsWith(".webp")) {
      return "image/webp";
    }
    return "image/jpeg";
  }

  /** The function name of every tool call id in the conversation (tool results carry only the id). */
  public static Map<String, String> toolNamesById(JsonNode messages) {
    Map<String, String> names = new HashMap<>();
    for (JsonNode m : messages) {
      for (JsonNode tc : m.path("tool_calls")) {
        names.put(tc.path("id").asText(), tc.path("function").path("name").asText());
      }
    }
    return names;
  }

  /** A tool call's arguments (a JSON string in OpenAI's format) as a JSON object. */
  public static JsonNode arguments(JsonNode toolCall) {
    JsonNode args = toolCall.path("function").get("arguments");
    if (args == null || args.isNull()) {
      return Json.object();
    }
    if (!args.isTextual()) {
      return args;
    }
    if (args.asText().isBlank()) {
      return Json.object();
    }
    try {
      return Json.MAPPER.readTree(args.asText());
    } catch (IOException e) {
      throw new UpstreamException(400, "invalid_request_error", "tool call arguments are not valid JSON: " + args.asText(),
          "messages", null, null);
    }
  }

  /** A tool result's content: JSON when it parses as an object, else the text. */
  public static JsonNode toolResult(JsonNode content) {
    String text = text(content);
    try {
      JsonNode parsed = Json.MAPPER.readTree(text);
      if (parsed != null && parsed.isObject()) {
        return parsed;
      }
    } catch (IOException ignored) {
      // plain text
    }
    return Json.object().put("content", text);
  }

  public static String newId(String prefix) {
    return prefix + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  }

  /** An OpenAI {@code chat.completion} with one choice. */
  public static ObjectNode completion(String id, String model, ObjectNode message, String finishReason, ObjectNode usage) {
    ObjectNode body = Json.object().put("id", id).put("object", "chat.completion")
        .put("created", System.currentTimeMillis() / 1000).put("model", model);
    ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
    choice.set("message", message);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    if (usage != null) {
      body.set("usage", usage);
    }
    return body;
  }

  /** An assistant message: text (null when there is none), reasoning, tool calls. */
  public static ObjectNode assistantMessage(String text, String reasoning, ArrayNode toolCalls) {
    ObjectNode m = Json.object().put("role", "assistant");
    if (text == null || (text.isEmpty() && toolCalls != null && !toolCalls.isEmpty())) {
      m.putNull("content");
    } else {
      m.put("content", text);
    }
    if (reasoning != null && !reasoning.isEmpty()) {
      m.put("reasoning_content", reasoning);
    }
    if (toolCalls != null && !toolCalls.isEmpty()) {
      m.set("tool_calls", toolCalls);
    }
    return m;
  }

  public static ObjectNode toolCall(String id, String name, String argumentsJson) {
    ObjectNode tc = Json.object().put("id", id).put("type", "function");
    tc.putObject("function").put("name", name).put("arguments", argumentsJson);
    return tc;
  }

  /** An OpenAI usage block, with the cached and reasoning details when known. */
  public static ObjectNode usage(long prompt, long completion, long cached, long reasoning) {
    ObjectNode u = Json.object().put("prompt_tokens", prompt).put("completion_tokens", completion)
        .put("total_tokens", prompt + completion);
    u.putObject("prompt_tokens_details").put("cached_tokens", cached);
    u.putObject("completion_tokens_details").put("reasoning_tokens", reasoning);
    return u;
  }

  /**
   * An OpenAI embeddings response from vectors; with {@code encoding_format: base64} (the OpenAI
   * SDKs' default) each vector is little-endian float32, base64-encoded.
   */
  public static ObjectNode embeddings(JsonNode request, String model, List<JsonNode> vectors, long promptTokens) {
    boolean base64 = "base64".equals(request.path("encoding_format").asText());
    ObjectNode body = Json.object().put("object", "list");
    ArrayNode data = body.putArray("data");
    for (int i = 0; i < vectors.size(); i++) {
      ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
      if (base64) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(vectors.get(i).size() * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        vectors.get(i).forEach(v -> bytes.putFloat(v.floatValue()));
        item.put("embedding", java.util.Base64.getEncoder().encodeToString(bytes.array()));
      } else {
        item.set("embedding", vectors.get(i));
      }
    }
    body.put("model", model);
    body.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
    return body;
  }

  /** An embeddings request's {@code input} as a list of strings. */
  public static List<String> embeddingInputs(JsonNode body) {
    JsonNode input = body.get("input");
    List<String> out = new ArrayList<>();
    if (input != null && input.isArray()) {
      input.forEach(x -> out.add(x.asText()));
    } else if (input != null) {
      out.add(input.asText());
    }
    return out;
  }

  /** Parses a provider's 2xx body, or fails as a bad gateway (an HTML page, a truncated body). */
  public static JsonNode parseUpstream(String provider, Buffer body) {
    JsonNode json = Json.tryParse(body);
    if (json == null || !json.isObject()) {
      String raw = body.length() > 200 ? body.getString(0, 200) + "..." : body.toString();
      throw UpstreamException.of(502, provider + " returned a response that is not JSON: " + raw.strip());
    }
    return json;
  }

  /** A stream chunk that is not JSON: the stream cannot be trusted any more. */
  public static UpstreamException badChunk(String provider, Buffer data) {
    String raw = data.length() > 200 ? data.getString(0, 200) + "..." : data.toString();
    return UpstreamException.of(502, provider + " sent a stream chunk that is not valid JSON: " + raw.strip());
  }

  public static UpstreamException truncated(String provider) {
    return UpstreamException.of(502, provider + " stream ended before the response was complete");
  }

  /** A stream that ended before its finish reason: cut short, or, with no event in it, no stream at all. */
  public static UpstreamException unfinished(String provider, boolean sawEvents) {
    return sawEvents ? truncated(provider) : notAStream(provider);
  }

  /** An answer to a streaming request with no event in it. */
  public static UpstreamException notAStream(String provider) {
    return UpstreamException.of(502, provider + " answered without a stream of events (wrong endpoint or content type?)");
  }
}
