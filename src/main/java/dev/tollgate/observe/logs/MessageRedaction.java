package dev.tollgate.observe.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code litellm_settings.turn_off_message_logging}: copies of requests and responses with the
 * prompts and completions replaced (LiteLLM's marker), for logs, traces and spend rows. The
 * originals are never changed.
 */
public final class MessageRedaction {
  public static final String REDACTED = "redacted-by-litellm";

  private MessageRedaction() {}

  /** A request body without message contents, prompt, input, tools' arguments kept out. */
  public static ObjectNode request(ObjectNode body) {
    ObjectNode copy = body.deepCopy();
    if (copy.get("messages") instanceof ArrayNode messages) {
      for (JsonNode m : messages) {
        if (m instanceof ObjectNode message) {
          redactField(message, "content");
          if (message.has("tool_calls")) {
            message.put("tool_calls", REDACTED);
          }
        }
      }
    }
    redactField(copy, "prompt");
    redactField(copy, "input");
    redactField(copy, "system");
    return copy;
  }

  /** A response body or stream chunk without the generated text. */
  public static JsonNode response(JsonNode body) {
    if (!(body instanceof ObjectNode obj)) {
      return body;
    }
    ObjectNode copy = obj.deepCopy();
    if (copy.get("choices") instanceof ArrayNode choices) {
      for (JsonNode c : choices) {
        for (String part : new String[] {"message", "delta"}) {
          if (c.get(part) instanceof ObjectNode m) {
            redactField(m, "content");
            redactField(m, "reasoning_content");
            if (m.has("tool_calls")) {
              m.put("tool_calls", REDACTED);
            }
          }
        }
        if (c instanceof ObjectNode choice) {
          redactField(choice, "text");
        }
      }
    }
    if (copy.has("data")) {
      copy.put("data", REDACTED); // embeddings
    }
    return copy;
  }

  private static void redactField(ObjectNode node, String field) {
    if (node.has(field) && !node.get(field).isNull()) {
      node.put(field, REDACTED);
    }
  }
}
