package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * Anthropic's Messages API as documented, for {@link FakeUpstream}: it checks a request the way
 * the real API does (headers, max_tokens, alternating roles, tool_result after tool_use, no empty
 * text) and answers with a Message, or with the typed SSE events of one when {@code stream} is set.
 */
public final class FakeAnthropic {
  public static final ObjectMapper JSON = new ObjectMapper();

  private FakeAnthropic() {}

  /** Answers every valid request with {@code message}. */
  public static Handler<RoutingContext> answer(ObjectNode message) {
    return answer(req -> message, 0);
  }

  /** Answers with the message made for the request; streamed events are {@code gapMillis} apart. */
  public static Handler<RoutingContext> answer(Function<JsonNode, ObjectNode> messageFor, long gapMillis) {
    return answer(messageFor, gapMillis, PacedSse.ALWAYS);
  }

  /** As {@link #answer(Function, long)}, an event written only once {@code mayWrite} accepts its index. */
  public static Handler<RoutingContext> answer(Function<JsonNode, ObjectNode> messageFor, long gapMillis, IntPredicate mayWrite) {
    return rc -> {
      JsonNode req;
      try {
        req = JSON.readTree(rc.body().asString());
      } catch (Exception e) {
        error(rc.response(), 400, "invalid_request_error", "request body is not valid JSON");
        return;
      }
      String invalid = validate(req, rc.request().headers());
      if (invalid != null) {
        error(rc.response(), invalid.startsWith("x-api-key") ? 401 : 400,
            invalid.startsWith("x-api-key") ? "authentication_error" : "invalid_request_error", invalid);
        return;
      }
      ObjectNode message = messageFor.apply(req).deepCopy();
      if (req.has("model")) {
        message.put("model", req.get("model").asText());
      }
      if (!req.path("stream").asBoolean(false)) {
        rc.response().putHeader("content-type", "application/json").putHeader("request-id", "req_fake").end(message.toString());
        return;
      }
      PacedSse.write(rc, "text/event-stream; charset=utf-8", events(message).stream().map(FakeAnthropic::format).toList(),
          gapMillis, mayWrite);
    };
  }

  /** Writes raw SSE text (for malformed-stream tests) with the given content type and status 200. */
  public static Handler<RoutingContext> raw(String contentType, String body) {
    return rc -> rc.response().putHeader("content-type", contentType).end(body);
  }

  /** Answers with Anthropic's error shape. */
  public static Handler<RoutingContext> error(int status, String type, String message) {
    return rc -> error(rc.response(), status, type, message);
  }

  public static void error(HttpServerResponse response, int status, String type, String message) {
    ObjectNode body = JSON.createObjectNode().put("type", "error");
    body.putObject("error").put("type", type).put("message", message);
    body.put("request_id", "req_fake");
    response.setStatusCode(status).putHeader("content-type", "application/json").end(body.toString());
  }

  /** What the real API refuses with 400/401, or null when the request is valid. */
  public static String validate(JsonNode req, MultiMap headers) {
    if (headers.get("x-api-key") == null || headers.get("x-api-key").isBlank()) {
      return "x-api-key header is required";
    }
    if (!"2023-06-01".equals(headers.get("anthropic-version"))) {
      return "anthropic-version: header is required";
    }
    if (!req.path("model").isTextual()) {
      return "model: Field required";
    }
    if (!req.path("max_tokens").isIntegralNumber()) {
      return "max_tokens: Field required";
    }
    JsonNode messages = req.path("messages");
    if (!messages.isArray() || messages.isEmpty()) {
      return "messages: at least one message is required";
    }
    String previousRole = null;
    Set<String> openToolUses = new HashSet<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String role = m.path("role").asText();
      if (!role.equals("user") && !role.equals("assistant")) {
        return "messages." + i + ".role: Input should be 'user' or 'assistant'";
      }
      if (role.equals(previousRole)) {
        return "messages: roles must alternate between \"user\" and \"assistant\"";
      }
      previousRole = role;
      Set<String> usesHere = new HashSet<>();
      JsonNode content = m.path("content");
      if (content.isTextual()) {
        if (content.asText().isEmpty()) {
          return "messages." + i + ": text content blocks must be non-empty";
        }
        continue;
      }
      for (JsonNode block : content) {
        String type = block.path("type").asText();
        switch (type) {
          case "text" -> {
            if (block.path("text").asText().isEmpty()) {
              return "messages." + i + ": text content blocks must be non-empty";
            }
          }
          case "tool_use" -> {
            if (!role.equals("assistant") || !block.path("input").isObject()) {
              return "messages." + i + ": tool_use blocks belong to assistant messages and need an input object";
            }
            usesHere.add(block.path("id").asText());
          }
          case "tool_result" -> {
            if (!openToolUses.remove(block.path("tool_use_id").asText())) {
              return "messages." + i + ": tool_result block(s) provided when previous message does not have tool_use blocks with that id";
            }
          }
          case "image" -> {
            JsonNode source = block.path("source");
            if (!(source.path("type").asText().equals("base64") && source.has("media_type") && source.has("data"))
                && !(source.path("type").asText().equals("url") && source.has("url"))) {
              return "messages." + i + ": image source must be base64 (media_type, data) or url";
            }
          }
          case "thinking", "redacted_thinking", "document" -> { }
          default -> {
            return "messages." + i + ": unknown content block type " + type;
          }
        }
      }
      if (role.equals("user") && !openToolUses.isEmpty()) {
        return "messages." + i + ": tool_use ids were found without tool_result blocks immediately after: " + openToolUses;
      }
      openToolUses = usesHere;
    }
    for (JsonNode tool : req.path("tools")) {
      if (!tool.has("type") && !tool.path("input_schema").isObject()) {
        return "tools: input_schema: Field required";
      }
    }
    return null;
  }

  /** The documented event sequence of one message: start, ping, each block's start/deltas/stop, delta, stop. */
  public static List<String[]> events(ObjectNode message) {
    List<String[]> events = new ArrayList<>();
    ObjectNode start = message.deepCopy();
    start.putArray("content");
    start.putNull("stop_reason");
    start.putNull("stop_sequence");
    ObjectNode startUsage = ((ObjectNode) message.path("usage")).deepCopy();
    startUsage.put("output_tokens", 1);
    start.set("usage", startUsage);
    events.add(event("message_start", JSON.createObjectNode().put("type", "message_start").set("message", start)));
    events.add(event("ping", JSON.createObjectNode().put("type", "ping")));
    int index = 0;
    for (JsonNode block : message.path("content")) {
      ObjectNode empty = ((ObjectNode) block).deepCopy();
      List<ObjectNode> deltas = new ArrayList<>();
      switch (block.path("type").asText()) {
        case "text" -> {
          empty.put("text", "");
          for (String piece : halves(block.path("text").asText())) {
            deltas.add(JSON.createObjectNode().put("type", "text_delta").put("text", piece));
          }
        }
        case "thinking" -> {
          empty.put("thinking", "").put("signature", "");
          for (String piece : halves(block.path("thinking").asText())) {
            deltas.add(JSON.createObjectNode().put("type", "thinking_delta").put("thinking", piece));
          }
          deltas.add(JSON.createObjectNode().put("type", "signature_delta").put("signature", block.path("signature").asText("sig")));
        }
        case "tool_use" -> {
          empty.putObject("input");
          for (String piece : halves(block.path("input").toString())) {
            deltas.add(JSON.createObjectNode().put("type", "input_json_delta").put("partial_json", piece));
          }
        }
        default -> { }
      }
      events.add(event("content_block_start", JSON.createObjectNode().put("type", "content_block_start").put("index", index)
          .set("content_block", empty)));
      for (ObjectNode d : deltas) {
        events.add(event("content_block_delta", JSON.createObjectNode().put("type", "content_block_delta").put("index", index)
            .set("delta", d)));
      }
      events.add(event("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", index)));
      index++;
    }
    ObjectNode delta = JSON.createObjectNode().put("type", "message_delta");
    delta.putObject("delta").put("stop_reason", message.path("stop_reason").asText("end_turn")).putNull("stop_sequence");
    delta.putObject("usage").put("output_tokens", message.path("usage").path("output_tokens").asLong());
    events.add(event("message_delta", delta));
    events.add(event("message_stop", JSON.createObjectNode().put("type", "message_stop")));
    return events;
  }

  public static String format(String[] event) {
    return "event: " + event[0] + "\ndata: " + event[1] + "\n\n";
  }

  private static String[] event(String type, JsonNode data) {
    return new String[] {type, data.toString()};
  }

  private static List<String> halves(String s) {
    if (s.length() < 2) {
      return List.of(s);
    }
    return List.of(s.substring(0, s.length() / 2), s.substring(s.length() / 2));
  }

  // ---- building messages ----

  public static ObjectNode message(String stopReason, long inputTokens, long outputTokens, ObjectNode... blocks) {
    ObjectNode m = JSON.createObjectNode().put("id", "msg_01Fake").put("type", "message").put("role", "assistant")
        .put("model", "claude-fake");
    ArrayNode content = m.putArray("content");
    for (ObjectNode b : blocks) {
      content.add(b);
    }
    m.put("stop_reason", stopReason).putNull("stop_sequence");
    m.putObject("usage").put("input_tokens", inputTokens).put("output_tokens", outputTokens)
        .put("cache_creation_input_tokens", 0).put("cache_read_input_tokens", 0);
    return m;
  }

  public static ObjectNode text(String text) {
    return JSON.createObjectNode().put("type", "text").put("text", text);
  }

  public static ObjectNode thinking(String thinking) {
    return JSON.createObjectNode().put("type", "thinking").put("thinking", thinking).put("signature", "sig-" + thinking.length());
  }

  public static ObjectNode toolUse(String id, String name, String inputJson) {
    try {
      return JSON.createObjectNode().put("type", "tool_use").put("id", id).put("name", name).set("input", JSON.readTree(inputJson));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
