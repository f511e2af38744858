package dev.tollgate.call;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
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
  private static final byte[] USAGE_KEY = "\"usage\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** Reads one member's value in the middle of a document (the shared mapper rejects what follows it). */
  private static final ObjectReader MEMBER = Json.MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public long totalTokens() {
    return promptTokens + completionTokens;
  }

  /** The usage block of an OpenAI response or chunk; null when it has none. */
  public static Usage of(JsonNode response) {
    return fromBlock(response == null ? null : response.get("usage"));
  }

  private static Usage fromBlock(JsonNode u) {
    if (u == null || !u.isObject()) {
      return null;
    }
    return new Usage(
        u.path("prompt_tokens").asLong(u.path("input_tokens").asLong(0)),
        u.path("completion_tokens").asLong(u.path("output_tokens").asLong(0)),
        u.path("prompt_tokens_details").path("cached_tokens").asLong(0),
        u.path("completion_tokens_details").path("reasoning_tokens").asLong(0),
        u.path("cache_creation_input_tokens").asLong(0));
  }

  /**
   * Cheap pre-check before parsing a chunk: does it have a "usage" that is not null? (OpenAI puts
   * {@code "usage":null} on every chunk but the last when include_usage is on, which the gateway
   * always asks for: those must not cost a full parse each.)
   */
  public static boolean mayContainUsage(Buffer json) {
    int n = json.length() - USAGE_KEY.length;
    outer:
    for (int i = 0; i <= n; i++) {
      for (int k = 0; k < USAGE_KEY.length; k++) {
        if (json.getByte(i + k) != USAGE_KEY[k]) {
          continue outer;
        }
      }
      int v = skipSpaces(json, i + USAGE_KEY.length);
      if (v < json.length() && json.getByte(v) == ':') {
        v = skipSpaces(json, v + 1);
        if (v < json.length() && json.getByte(v) != 'n') {
          return true;
        }
      }
    }
    return false;
  }

  private static int skipSpaces(Buffer json, int i) {
    while (i < json.length() && Character.isWhitespace(json.getByte(i))) {
      i++;
    }
    return i;
  }

  /**
   * Usage of a chunk or body, or null (also for anything that is not JSON). Streams over the
   * document and builds a tree of the {@code usage} member only: a whole response body is not
   * worth a tree just for its token counts.
   */
  public static Usage parse(Buffer json) {
    if (!mayContainUsage(json)) {
      return null;
    }
    JsonNode usage = null;
    try (JsonParser p = Json.MAPPER.createParser(json.getBytes())) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        boolean isUsage = p.currentName().equals("usage");
        p.nextToken();
        if (isUsage) {
          usage = MEMBER.readTree(p);
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
    return fromBlock(usage);
  }
}
