package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What every fake provider answers, whatever its wire format: "Hello, {last user text}" in three
 * stream pieces; two parallel get_weather calls when tools are offered and no result came back
 * yet; "Results: ..." once tool results are in. The model name picks a failure instead:
 * {@code ratelimit} (429), {@code html} (an HTML error page), {@code badjson} (an invalid stream
 * chunk), {@code truncated} (a stream cut off), {@code wrongtype} (200 with an HTML body).
 */
public record FakeAnswer(String text, List<Call> toolCalls) {
  public static final int PROMPT_TOKENS = 11;
  public static final int COMPLETION_TOKENS = 7;
  public static final int CACHED_TOKENS = 3;
  public static final int REASONING_TOKENS = 2;
  public static final String HTML_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>";

  public record Call(String id, String name, String argumentsJson) {}

  public static FakeAnswer decide(String lastUserText, boolean toolsOffered, List<String> toolResults) {
    if (!toolResults.isEmpty()) {
      return new FakeAnswer("Results: " + String.join(" | ", toolResults), List.of());
    }
    if (toolsOffered) {
      return new FakeAnswer("", List.of(new Call("call_paris", "get_weather", "{\"city\":\"Paris\"}"),
          new Call("call_tokyo", "get_weather", "{\"city\":\"Tokyo\"}")));
    }
    return new FakeAnswer("Hello, " + lastUserText, List.of());
  }

  /** The answer to {@code role}/{@code content} messages with text contents, as Cohere's v2 chat and Ollama's /api/chat take them. */
  public static FakeAnswer forMessages(JsonNode messages, boolean toolsOffered) {
    String lastUser = "";
    List<String> results = new ArrayList<>();
    for (JsonNode m : messages) {
      switch (m.path("role").asText()) {
        case "user" -> lastUser = m.path("content").asText();
        case "tool" -> results.add(m.path("content").asText());
        default -> { }
      }
    }
    return decide(lastUser, toolsOffered, results);
  }

  /** The text in three stream pieces that concatenate back to it. */
  public List<String> pieces() {
    int a = Math.min(3, text.length());
    int b = Math.min(7, text.length());
    return List.of(text.substring(0, a), text.substring(a, b), text.substring(b));
  }

  public boolean hasToolCalls() {
    return !toolCalls.isEmpty();
  }

  /** Answers the {@code html} (an HTML page with a 502) and {@code wrongtype} (the page with a 200) failures; true when it did. */
  public static boolean servedHtml(io.vertx.core.http.HttpServerResponse res, String failure) {
    if (!"html".equals(failure) && !"wrongtype".equals(failure)) {
      return false;
    }
    res.setStatusCode("html".equals(failure) ? 502 : 200).putHeader("content-type", "text/html").end(HTML_PAGE);
    return true;
  }

  /** The failure a model name asks for, or null. */
  public static String failure(String model) {
    for (String f : List.of("ratelimit", "html", "badjson", "truncated", "wrongtype", "corrupt")) {
      if (model.contains(f)) {
        return f;
      }
    }
    return null;
  }
}
