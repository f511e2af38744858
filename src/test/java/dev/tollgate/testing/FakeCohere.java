package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Cohere's v2 API as documented: /v2/chat (JSON, or typed SSE events) and /v2/embed. */
public final class FakeCohere {
  static final ObjectMapper JSON = new ObjectMapper();

  private FakeCohere() {}

  public static FakeUpstream install(FakeUpstream up) {
    up.onPost("/v2/chat", FakeUpstream.checked(FakeCohere::chat));
    up.onPost("/v2/embed", FakeUpstream.checked(rc -> {
      JsonNode req = JSON.readTree(rc.body().asString());
      ObjectNode out = JSON.createObjectNode().put("id", "emb-1").put("response_type", "embeddings_by_type");
      ArrayNode floats = out.putObject("embeddings").putArray("float");
      req.path("texts").forEach(t -> floats.add(FakeGemini.vector(t.asText())));
      out.putObject("meta").putObject("billed_units").put("input_tokens", 4);
      rc.response().putHeader("content-type", "application/json").end(out.toString());
    }));
    return up;
  }

  private static void chat(RoutingContext rc) throws Exception {
    JsonNode req = JSON.readTree(rc.body().asString());
    HttpServerResponse res = rc.response();
    String failure = FakeAnswer.failure(req.path("model").asText());
    if ("ratelimit".equals(failure)) {
      res.setStatusCode(429).putHeader("content-type", "application/json").end("{\"id\":\"e1\",\"message\":\"You are using a Trial key, which is limited\"}");
      return;
    }
    if (FakeAnswer.servedHtml(res, failure)) {
      return;
    }
    FakeAnswer a = FakeAnswer.forMessages(req.path("messages"), req.path("tools").size() > 0);
    String finish = a.hasToolCalls() ? "TOOL_CALL" : "COMPLETE";
    ObjectNode usage = JSON.createObjectNode();
    usage.putObject("billed_units").put("input_tokens", FakeAnswer.PROMPT_TOKENS).put("output_tokens", FakeAnswer.COMPLETION_TOKENS);
    // what the model processed, its own preamble included: more than what is billed
    usage.putObject("tokens").put("input_tokens", FakeAnswer.PROMPT_TOKENS + 66).put("output_tokens", FakeAnswer.COMPLETION_TOKENS);
    if (!req.path("stream").asBoolean(false)) {
      ObjectNode out = JSON.createObjectNode().put("id", "c-1").put("finish_reason", finish);
      ObjectNode msg = out.putObject("message").put("role", "assistant");
      if (!a.text().isEmpty()) {
        msg.putArray("content").addObject().put("type", "text").put("text", a.text());
      }
      if (a.hasToolCalls()) {
        msg.put("tool_plan", "I will look up the weather.");
        ArrayNode calls = msg.putArray("tool_calls");
        a.toolCalls().forEach(c -> calls.addObject().put("id", c.id()).put("type", "function").putObject("function")
            .put("name", c.name()).put("arguments", c.argumentsJson()));
      }
      out.set("usage", usage);
      res.putHeader("content-type", "application/json").end(out.toString());
      return;
    }
    res.setChunked(true).putHeader("content-type", "text/event-stream");
    event(res, "message-start", JSON.createObjectNode().put("id", "c-1"));
    if (!a.text().isEmpty()) {
      event(res, "content-start", JSON.createObjectNode().put("index", 0));
      List<String> pieces = a.pieces();
      for (int i = 0; i < pieces.size(); i++) {
        if (i == 1 && "truncated".equals(failure)) {
          res.end();
          return;
        }
        if (i == 1 && "badjson".equals(failure)) {
          res.end("event: content-delta\ndata: {\"type\":\"content-delta\",\n\n");
          return;
        }
        ObjectNode e = JSON.createObjectNode().put("index", 0);
        e.putObject("delta").putObject("message").putObject("content").put("text", pieces.get(i));
        event(res, "content-delta", e);
      }
      event(res, "content-end", JSON.createObjectNode().put("index", 0));
    }
    for (int i = 0; i < a.toolCalls().size(); i++) {
      FakeAnswer.Call c = a.toolCalls().get(i);
      ObjectNode start = JSON.createObjectNode().put("index", i);
      start.putObject("delta").putObject("message").putObject("tool_calls").put("id", c.id()).put("type", "function")
          .putObject("function").put("name", c.name()).put("arguments", "");
      event(res, "tool-call-start", start);
      for (String part : List.of(c.argumentsJson().substring(0, 4), c.argumentsJson().substring(4))) {
        ObjectNode d = JSON.createObjectNode().put("index", i);
        d.putObject("delta").putObject("message").putObject("tool_calls").putObject("function").put("arguments", part);
        event(res, "tool-call-delta", d);
      }
      event(res, "tool-call-end", JSON.createObjectNode().put("index", i));
    }
    ObjectNode end = JSON.createObjectNode();
    end.putObject("delta").put("finish_reason", finish).set("usage", usage);
    event(res, "message-end", end);
    res.end();
  }

  private static void event(HttpServerResponse res, String type, ObjectNode data) {
    ObjectNode withType = JSON.createObjectNode().put("type", type);
    withType.setAll(data);
    res.write("event: " + type + "\ndata: " + withType + "\n\n");
  }
}
