package dev.tollgate.call;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * Token usage of one call, read from OpenAI's {@code usage} block (of a response, or of the last
 * stream chunk): prompt, completion, and the cached-prompt and reasoning parts of them.
 */
public record Usage(long promptTokens, long completionTokens, long cachedPromptTokens, long reasoningTokens,
    long cacheCreationTokens) {
  public static final Usage NONE = new Usage(0, 0, 0, 0, 0);
  private static final long ABSENT = Long.MIN_VALUE;
  private static final String USAGE_KEY = "\"usage\"";

  public long totalTokens() {
    return promptTokens + completionTokens;
  }

  /** The usage block of an OpenAI response or chunk; null when it has none. */
  public static Usage of(JsonNode response) {
    JsonNode u = response == null ? null : response.get("usage");
    if (u == null || !u.isObject()) {
      return null;
    }
    try (JsonParser p = u.traverse()) {
      p.nextToken();
      return read(p);
    } catch (IOException e) {
      throw new IllegalStateException("a JSON tree could not be traversed", e); // a tree is never malformed
    }
  }

  /**
   * Cheap pre-check before parsing a chunk: does it have a "usage" that is not null? (OpenAI puts
   * {@code "usage":null} on every chunk but the last when include_usage is on, which the gateway
   * always asks for: those must not cost a full parse each.) {@link #parse} runs it first.
   */
  static boolean mayContainUsage(Buffer json) {
    return Json.hasNonNullMember(json, USAGE_KEY);
  }

  /**
   * Usage of a chunk or body, or null (also for anything that is not JSON). Streams over the
   * document and reads the numbers of the top-level {@code usage} member as they pass: a whole
   * response body is not worth a tree just for its token counts.
   */
  public static Usage parse(Buffer json) {
    Json.Bytes bytes = Json.bytes(json);
    if (!Json.hasNonNullMember(bytes, USAGE_KEY)) {
      return null;
    }
    Usage usage = null;
    try (JsonParser p = Json.parser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean isUsage = p.currentName().equals("usage");
        p.nextToken();
        if (isUsage) {
          usage = read(p);
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) {
        return null; // trailing tokens: not one JSON document
      }
    } catch (IOException e) {
      return null;
    }
    return usage;
  }

  /**
   * The usage object the parser is on (null for anything else), read field by field: OpenAI's
   * names, else Anthropic's ({@code input_tokens}, {@code output_tokens}).
   */
  private static Usage read(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    long prompt = ABSENT;
    long completion = ABSENT;
    long input = 0;
    long output = 0;
    long cached = 0;
    long reasoning = 0;
    long cacheCreation = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      switch (name) {
        case "prompt_tokens" -> prompt = number(p, ABSENT);
        case "completion_tokens" -> completion = number(p, ABSENT);
        case "input_tokens" -> input = number(p, 0);
        case "output_tokens" -> output = number(p, 0);
        case "cache_creation_input_tokens" -> cacheCreation = number(p, 0);
        case "prompt_tokens_details" -> cached = nested(p, "cached_tokens");
        case "completion_tokens_details" -> reasoning = nested(p, "reasoning_tokens");
        default -> p.skipChildren();
      }
    }
    return new Usage(prompt != ABSENT ? prompt : input, completion != ABSENT ? completion : output, cached, reasoning, cacheCreation);
  }

  /** A scalar as a number (numbers and numeric strings; {@code otherwise} for the rest). */
  private static long number(JsonParser p, long otherwise) throws IOException {
    if (p.currentToken().isStructStart()) {
      p.skipChildren();
      return otherwise;
    }
    return p.currentToken() == JsonToken.VALUE_NULL ? otherwise : p.getValueAsLong(otherwise);
  }

  /** One number inside the object the parser is on ({@code prompt_tokens_details.cached_tokens}). */
  private static long nested(JsonParser p, String field) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      p.skipChildren();
      return 0;
    }
    long value = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      boolean wanted = p.currentName().equals(field);
      p.nextToken();
      if (wanted) {
        value = number(p, 0);
      } else {
        p.skipChildren();
      }
    }
    return value;
  }
}
