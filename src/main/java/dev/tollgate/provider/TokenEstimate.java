package dev.tollgate.provider;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A fast token estimate (about four characters a token, as OpenAI's rule of thumb) for where no
 * tokenizer answer is needed exactly: mock usage, context-window pre-checks, budget reservations.
 */
public final class TokenEstimate {
  private TokenEstimate() {}

  public static int ofText(String text) {
    return text == null ? 0 : (int) ofCharacters(text.length());
  }

  /** Tokens of a text of {@code characters} characters (for text counted piece by piece, e.g. a stream). */
  public static long ofCharacters(long characters) {
    return characters == 0 ? 0 : Math.max(1, (characters + 3) / 4);
  }

  /** Tokens of the text in a chat request's messages (or a completion's prompt, an embedding's input). */
  public static int ofRequest(JsonNode body) {
    int tokens = 0;
    JsonNode messages = body.get("messages");
    if (messages != null && messages.isArray()) {
      for (JsonNode m : messages) {
        tokens += 4 + ofContent(m.get("content"));
        JsonNode toolCalls = m.get("tool_calls");
        if (toolCalls != null) {
          tokens += ofText(toolCalls.toString());
        }
      }
      JsonNode tools = body.get("tools");
      if (tools != null) {
        tokens += ofText(tools.toString());
      }
      return tokens + 3;
    }
    JsonNode prompt = body.has("prompt") ? body.get("prompt") : body.get("input");
    return ofContent(prompt);
  }

  private static int ofContent(JsonNode content) {
    if (content == null || content.isNull()) {
      return 0;
    }
    if (content.isTextual()) {
      return ofText(content.asText());
    }
    int tokens = 0;
    if (content.isArray()) {
      for (JsonNode part : content) {
        if (part.isTextual()) {
          tokens += ofText(part.asText());
        } else if (part.has("text")) {
          tokens += ofText(part.get("text").asText());
        } else if (part.has("image_url")) {
          tokens += 85; // OpenAI's low-detail image cost
        } else {
          tokens += ofText(part.toString());
        }
      }
    }
    return tokens;
  }
}
