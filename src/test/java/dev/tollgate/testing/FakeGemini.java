package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Google's Gemini API as documented (generateContent, streamGenerateContent?alt=sse,
 * batchEmbedContents, Vertex's predict): a fake for AI Studio and, under a Vertex path prefix, Vertex.
 */
public final class FakeGemini {
  static final ObjectMapper JSON = new ObjectMapper();

  private FakeGemini() {}

  /** Serves {@code {prefix}/models/{model}:method} for every method. */
  public static FakeUpstream install(FakeUpstream up, String prefix) {
    up.vertx(); // handlers run on the fake's own event loop
    up.onPostRegex(java.util.regex.Pattern.quote(prefix) + "/models/(?<model>[^:/]+):(?<method>[A-Za-z]+)", FakeGemini::handle);
    return up;
  }

  private static void handle(RoutingContext rc) {
    String model = rc.pathParam("model");
    String method = rc.pathParam("method");
    HttpServerResponse res = rc.response();
    JsonNode req;
    try {
      req = JSON.readTree(rc.body().asString());
    } catch (Exception e) {
      error(res, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      return;
    }
    String failure = FakeAnswer.failure(model);
    if ("ratelimit".equals(failure)) {
      // as Google's API: when to come back is in the body, not in a header
      ObjectNode out = JSON.createObjectNode();
      ObjectNode err = out.putObject("error").put("code", 429).put("message", "Resource has been exhausted (e.g. check quota).")
          .put("status", "RESOURCE_EXHAUSTED");
      err.putArray("details").addObject().put("@type", "type.googleapis.com/google.rpc.RetryInfo").put("retryDelay", "12s");
      res.setStatusCode(429).putHeader("content-type", "application/json").end(out.toString());
      return;
    }
    if (FakeAnswer.servedHtml(res, failure)) {
      return;
    }
    switch (method) {
      case "batchEmbedContents" -> {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode embs = out.putArray("embeddings");
        for (JsonNode r : req.path("requests")) {
          embs.addObject().set("values", vector(r.path("content").path("parts").path(0).path("text").asText()));
        }
        res.putHeader("content-type", "application/json").end(out.toString());
      }
      case "predict" -> {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode preds = out.putArray("predictions");
        for (JsonNode inst : req.path("instances")) {
          ObjectNode e = preds.addObject().putObject("embeddings");
          e.set("values", vector(inst.path("content").asText()));
          e.putObject("statistics").put("token_count", 4);
        }
        res.putHeader("content-type", "application/json").end(out.toString());
      }
      case "generateContent" -> res.putHeader("content-type", "application/json").end(response(answer(req), null, true).toString());
      case "streamGenerateContent" -> stream(rc, answer(req), failure);
      default -> error(res, 404, "NOT_FOUND", "method " + method + " not found");
    }
  }

  static ArrayNode vector(String text) {
    ArrayNode v = JSON.createArrayNode();
    v.add(text.length()).add(0.5).add(-0.25);
    return v;
  }

  private static FakeAnswer answer(JsonNode req) {
    String lastUser = "";
    List<String> results = new ArrayList<>();
    for (JsonNode c : req.path("contents")) {
      for (JsonNode p : c.path("parts")) {
        if (p.has("text") && "user".equals(c.path("role").asText())) {
          lastUser = p.get("text").asText();
        }
        if (p.has("functionResponse")) {
          results.add(p.get("functionResponse").path("response").toString());
        }
      }
    }
    boolean tools = req.path("tools").path(0).path("functionDeclarations").size() > 0;
    return FakeAnswer.decide(lastUser, tools, results);
  }

  /** One GenerateContentResponse; {@code text} null means the whole answer. */
  private static ObjectNode response(FakeAnswer a, String text, boolean last) {
    ObjectNode out = JSON.createObjectNode();
    ObjectNode cand = out.putArray("candidates").addObject().put("index", 0);
    ObjectNode content = cand.putObject("content").put("role", "model");
    ArrayNode parts = content.putArray("parts");
    if (last && text == null) {
      parts.addObject().put("text", "thinking...").put("thought", true);
    }
    String t = text != null ? text : a.text();
    if (!t.isEmpty()) {
      parts.addObject().put("text", t);
    }
    if (last) {
      for (FakeAnswer.Call call : a.toolCalls()) {
        ObjectNode fc = parts.addObject().putObject("functionCall").put("name", call.name());
        try {
          fc.set("args", JSON.readTree(call.argumentsJson()));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      cand.put("finishReason", "STOP");
      out.putObject("usageMetadata").put("promptTokenCount", FakeAnswer.PROMPT_TOKENS)
          .put("candidatesTokenCount", FakeAnswer.COMPLETION_TOKENS - FakeAnswer.REASONING_TOKENS)
          .put("thoughtsTokenCount", FakeAnswer.REASONING_TOKENS)
          .put("cachedContentTokenCount", FakeAnswer.CACHED_TOKENS)
          .put("totalTokenCount", FakeAnswer.PROMPT_TOKENS + FakeAnswer.COMPLETION_TOKENS);
    }
    out.put("modelVersion", "gemini-fake-001");
    return out;
  }

  private static void stream(RoutingContext rc, FakeAnswer a, String failure) {
    if (!"sse".equals(rc.request().getParam("alt"))) {
      error(rc.response(), 400, "INVALID_ARGUMENT", "this fake streams only with alt=sse");
      return;
    }
    HttpServerResponse res = rc.response().setChunked(true).putHeader("content-type", "text/event-stream");
    List<String> pieces = a.pieces();
    res.write("data: " + response(a, pieces.get(0), false) + "\r\n\r\n");
    if ("truncated".equals(failure)) {
      res.end();
      return;
    }
    if ("badjson".equals(failure)) {
      res.end("data: {\"candidates\": [ oops\r\n\r\n");
      return;
    }
    res.write("data: " + response(a, pieces.get(1), false) + "\r\n\r\n");
    res.end("data: " + response(a, pieces.get(2), true) + "\r\n\r\n");
  }

  static void error(HttpServerResponse res, int code, String status, String message) {
    ObjectNode out = JSON.createObjectNode();
    out.putObject("error").put("code", code).put("message", message).put("status", status);
    res.setStatusCode(code).putHeader("content-type", "application/json").end(out.toString());
  }
}
