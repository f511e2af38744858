package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Ollama's REST API as documented: /api/chat, /api/generate (NDJSON streams, streaming by default) and /api/embed. */
public final class FakeOllama {
  static final ObjectMapper JSON = new ObjectMapper();

  private FakeOllama() {}

  public static FakeUpstream install(FakeUpstream up) {
    up.onPost("/api/chat", FakeUpstream.checked(rc -> handle(rc, true)));
    up.onPost("/api/generate", FakeUpstream.checked(rc -> handle(rc, false)));
    up.onPost("/api/embed", FakeUpstream.checked(rc -> {
      JsonNode req = JSON.readTree(rc.body().asString());
      ObjectNode out = JSON.createObjectNode().put("model", req.path("model").asText());
      ArrayNode embs = out.putArray("embeddings");
      req.path("input").forEach(t -> embs.add(FakeGemini.vector(t.asText())));
      out.put("prompt_eval_count", 4);
      rc.response().putHeader("content-type", "application/json").end(out.toString());
    }));
    return up;
  }

  private static void handle(RoutingContext rc, boolean chat) throws Exception {
    JsonNode req = JSON.readTree(rc.body().asString());
    HttpServerResponse res = rc.response();
    String failure = FakeAnswer.failure(req.path("model").asText());
    if ("ratelimit".equals(failure)) {
      res.setStatusCode(429).putHeader("content-type", "application/json").end("{\"error\":\"too many requests\"}");
      return;
    }
    if (FakeAnswer.servedHtml(res, failure)) {
      return;
    }
    FakeAnswer a = chat ? FakeAnswer.forMessages(req.path("messages"), req.path("tools").size() > 0)
        : FakeAnswer.decide(req.path("prompt").asText(), false, List.of());
    boolean stream = req.path("stream").asBoolean(true);
    if (!stream) {
      res.putHeader("content-type", "application/json").end(line(a, chat, a.text(), true).toString());
      return;
    }
    res.setChunked(true).putHeader("content-type", "application/x-ndjson");
    List<String> pieces = a.pieces();
    for (int i = 0; i < pieces.size(); i++) {
      if (i == 1 && "truncated".equals(failure)) {
        res.end();
        return;
      }
      if (i == 1 && "badjson".equals(failure)) {
        res.end("{\"message\": {\"content\": \"x\"\n");
        return;
      }
      res.write(line(a, chat, pieces.get(i), false) + "\n");
    }
    res.end(line(a, chat, "", true) + "\n");
  }

  private static ObjectNode line(FakeAnswer a, boolean chat, String text, boolean done) {
    ObjectNode out = JSON.createObjectNode().put("model", "llama3").put("created_at", "2025-01-01T00:00:00Z");
    if (chat) {
      ObjectNode m = out.putObject("message").put("role", "assistant").put("content", text);
      if (done) {
        ArrayNode calls = m.putArray("tool_calls");
        for (FakeAnswer.Call c : a.toolCalls()) {
          try {
            calls.addObject().putObject("function").put("name", c.name()).set("arguments", JSON.readTree(c.argumentsJson()));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }
    } else {
      out.put("response", text);
    }
    out.put("done", done);
    if (done) {
      out.put("done_reason", "stop").put("prompt_eval_count", FakeAnswer.PROMPT_TOKENS).put("eval_count", FakeAnswer.COMPLETION_TOKENS);
    }
    return out;
  }
}
