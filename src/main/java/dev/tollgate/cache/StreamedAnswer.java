package dev.tollgate.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.OpenAiShapes;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts between the two forms of one answer: the chunks of a stream, assembled into the whole
 * response that is cached; and a cached whole response, replayed as chunks to a streaming client.
 */
final class StreamedAnswer {
  private final Endpoint endpoint;
  private final Map<Integer, StringBuilder> text = new TreeMap<>();
  private final Map<Integer, String> finish = new TreeMap<>();
  private JsonNode first;
  private JsonNode usage;
  private boolean uncacheable;

  StreamedAnswer(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  /**
   * The usage the gateway read from a chunk its client did not ask for (the relay drops it), when
   * no chunk passed with usage: a cached answer keeps it for the clients that do ask.
   */
  void usageIfNone(Usage u) {
    if (usage == null && u != null) {
      usage = OpenAiShapes.usage(u.promptTokens(), u.completionTokens(), u.cachedPromptTokens(), u.reasoningTokens());
    }
  }

  void add(Buffer chunk) {
    JsonNode c = Json.tryParse(chunk);
    if (c == null || uncacheable) {
      uncacheable = true;
      return;
    }
    if (first == null) {
      first = c;
    }
    if (c.has("usage") && c.get("usage").isObject()) {
      usage = c.get("usage");
    }
    for (JsonNode choice : c.path("choices")) {
      int index = choice.path("index").asInt(0);
      JsonNode delta = endpoint == Endpoint.CHAT ? choice.path("delta") : choice;
      if (delta.has("tool_calls") || delta.has("function_call")) {
        uncacheable = true; // partial tool calls are not worth reassembling here
        return;
      }
      JsonNode piece = endpoint == Endpoint.CHAT ? delta.get("content") : delta.get("text");
      StringBuilder sb = text.computeIfAbsent(index, i -> new StringBuilder());
      if (piece != null && piece.isTextual()) {
        sb.append(piece.asText());
      }
      if (choice.hasNonNull("finish_reason")) {
        finish.put(index, choice.get("finish_reason").asText());
      }
    }
  }

  /** The whole response, or null when the stream could not be reassembled. */
  Buffer body() {
    if (uncacheable || first == null || text.isEmpty()) {
      return null;
    }
    boolean chat = endpoint == Endpoint.CHAT;
    ObjectNode body = Json.object()
        .put("id", first.path("id").asText(""))
        .put("object", chat ? "chat.completion" : "text_completion")
        .put("created", first.path("created").asLong(System.currentTimeMillis() / 1000))
        .put("model", first.path("model").asText(""));
    ArrayNode choices = body.putArray("choices");
    text.forEach((index, sb) -> {
      ObjectNode choice = choices.addObject().put("index", index);
      if (chat) {
        choice.putObject("message").put("role", "assistant").put("content", sb.toString());
      } else {
        choice.put("text", sb.toString());
      }
      choice.put("finish_reason", finish.getOrDefault(index, "stop"));
    });
    if (usage != null) {
      body.set("usage", usage);
    }
    return Json.buffer(body);
  }

  /** A cached whole response as stream chunks: the content, then the finish reasons, then usage if asked. */
  static List<Buffer> replay(Endpoint endpoint, JsonNode body, boolean includeUsage) {
    boolean chat = endpoint == Endpoint.CHAT;
    List<Buffer> chunks = new ArrayList<>(3);
    ObjectNode content = chunk(body, chat);
    ObjectNode end = chunk(body, chat);
    for (JsonNode choice : body.path("choices")) {
      int index = choice.path("index").asInt(0);
      ObjectNode c = content.withArray("choices").addObject().put("index", index);
      ObjectNode e = end.withArray("choices").addObject().put("index", index);
      if (chat) {
        ObjectNode delta = choice.path("message").isObject() ? ((ObjectNode) choice.get("message")).deepCopy() : Json.object();
        JsonNode calls = delta.get("tool_calls");
        if (calls != null && calls.isArray()) {
          for (int i = 0; i < calls.size(); i++) {
            ((ObjectNode) calls.get(i)).put("index", i);
          }
        }
        c.set("delta", delta);
        e.putObject("delta");
      } else {
        c.put("text", choice.path("text").asText(""));
        e.put("text", "");
      }
      c.putNull("finish_reason");
      e.set("finish_reason", choice.get("finish_reason"));
    }
    chunks.add(Json.buffer(content));
    chunks.add(Json.buffer(end));
    if (includeUsage && body.has("usage")) {
      ObjectNode u = chunk(body, chat);
      u.putArray("choices");
      u.set("usage", body.get("usage"));
      chunks.add(Json.buffer(u));
    }
    return chunks;
  }

  private static ObjectNode chunk(JsonNode body, boolean chat) {
    return Json.object().put("id", body.path("id").asText(""))
        .put("object", chat ? "chat.completion.chunk" : "text_completion")
        .put("created", body.path("created").asLong(0))
        .put("model", body.path("model").asText(""));
  }
}
