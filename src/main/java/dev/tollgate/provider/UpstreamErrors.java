package dev.tollgate.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.json.Json;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** Turns an upstream's error response into the OpenAI error the client sees. */
public final class UpstreamErrors {
  private static final int MAX_QUOTED_BODY = 300;

  private UpstreamErrors() {}

  /**
   * Reads the common error shapes ({@code {"error":{"message":...}}}, {@code {"error":"..."}},
   * {@code {"message":...}}, {@code {"detail":...}}); anything else (an HTML page) is quoted, shortened.
   */
  public static UpstreamException fromResponse(String provider, int status, MultiMap headers, Buffer body) {
    String message = null;
    String type = null;
    String param = null;
    String code = null;
    Duration retryAfter = retryAfter(headers);
    JsonNode json = Json.tryParse(body);
    if (json != null && json.isObject()) {
      JsonNode err = json.get("error");
      if (err != null && err.isObject()) {
        message = text(err.get("message"));
        type = text(err.get("type"));
        param = text(err.get("param"));
        code = text(err.get("code"));
        if (retryAfter == null) {
          retryAfter = googleRetryDelay(err.get("details"));
        }
      } else if (err != null && err.isTextual()) {
        message = err.asText();
      }
      if (message == null) {
        message = text(json.get("message"));
      }
      if (message == null && json.get("detail") != null) {
        message = json.get("detail").isTextual() ? json.get("detail").asText() : json.get("detail").toString();
      }
    }
    if (message == null) {
      String raw = body.length() > MAX_QUOTED_BODY ? body.getString(0, MAX_QUOTED_BODY) + "..." : body.toString();
      message = "upstream returned HTTP " + status + (raw.isBlank() ? "" : ": " + raw.strip());
    }
    int mapped = status >= 400 && status < 600 ? status : 502;
    return new UpstreamException(mapped, type != null ? type : UpstreamException.typeFor(mapped),
        provider + " error: " + message, param, code, retryAfter);
  }

  /** Google's 429s say when to come back in the body: {@code details: [{"@type": "...RetryInfo", "retryDelay": "12s"}]}. */
  private static Duration googleRetryDelay(JsonNode details) {
    if (details != null) {
      for (JsonNode d : details) {
        String delay = d.path("retryDelay").asText("");
        if (delay.endsWith("s")) {
          try {
            return Duration.ofMillis((long) (Double.parseDouble(delay.substring(0, delay.length() - 1)) * 1000));
          } catch (NumberFormatException ignored) {
            return null;
          }
        }
      }
    }
    return null;
  }

  /** {@code retry-after} as seconds or an HTTP date; {@code retry-after-ms} too. */
  public static Duration retryAfter(MultiMap headers) {
    if (headers == null) {
      return null;
    }
    String ms = headers.get("retry-after-ms");
    if (ms != null) {
      try {
        return Duration.ofMillis((long) Double.parseDouble(ms.trim()));
      } catch (NumberFormatException ignored) {
        // fall through to retry-after
      }
    }
    String v = headers.get("retry-after");
    if (v == null) {
      return null;
    }
    try {
      return Duration.ofMillis((long) (Double.parseDouble(v.trim()) * 1000));
    } catch (NumberFormatException e) {
      try {
        Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
        return d.isNegative() ? Duration.ZERO : d;
      } catch (RuntimeException ignored) {
        return null;
      }
    }
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }
}
