package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Amazon Bedrock's Converse and ConverseStream as documented: JSON in, JSON or an AWS event
 * stream out (sent in small pieces, so frames arrive split), requests checked by a SigV4 verifier
 * or a bearer key.
 */
public final class FakeBedrock {
  static final ObjectMapper JSON = new ObjectMapper();

  private FakeBedrock() {}

  public static FakeUpstream install(FakeUpstream up, SigV4Verifier verifier, String bearerKey) {
    up.onPostRegex("/model/(?<model>[^/]+)/(?<op>converse|converse-stream)", rc -> handle(rc, verifier, bearerKey));
    return up;
  }

  private static void handle(RoutingContext rc, SigV4Verifier verifier, String bearerKey) {
    HttpServerResponse res = rc.response();
    String auth = rc.request().getHeader("authorization");
    try {
      String problem = auth != null && auth.startsWith("Bearer ")
          ? (auth.equals("Bearer " + bearerKey) ? null : "invalid bearer token")
          : verifier.problem(rc.request(), rc.body().buffer().getBytes());
      if (problem != null) {
        error(res, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. (" + problem + ")");
        return;
      }
    } catch (Exception e) {
      error(res, 403, "InvalidSignatureException", e.toString());
      return;
    }
    String model = rc.pathParam("model");
    String failure = FakeAnswer.failure(model);
    if ("ratelimit".equals(failure)) {
      error(res, 429, "ThrottlingException", "Too many requests, please wait before trying again.");
      return;
    }
    if (FakeAnswer.servedHtml(res, failure)) {
      return;
    }
    JsonNode req;
    try {
      req = JSON.readTree(rc.body().asString());
    } catch (Exception e) {
      error(res, 400, "ValidationException", "Malformed input request");
      return;
    }
    if (!req.has("toolConfig") && (req.path("messages").findParent("toolUse") != null || req.path("messages").findParent("toolResult") != null)) {
      error(res, 400, "ValidationException", "The toolConfig field must be defined when using toolUse and toolResult content blocks.");
      return;
    }
    FakeAnswer a = answer(req);
    if (rc.pathParam("op").equals("converse")) {
      res.putHeader("content-type", "application/json").end(converse(a).toString());
    } else {
      stream(res, a, failure);
    }
  }

  private static FakeAnswer answer(JsonNode req) {
    String lastUser = "";
    List<String> results = new ArrayList<>();
    for (JsonNode m : req.path("messages")) {
      for (JsonNode block : m.path("content")) {
        if (block.has("text") && "user".equals(m.path("role").asText())) {
          lastUser = block.get("text").asText();
        }
        if (block.has("toolResult")) {
          JsonNode c = block.get("toolResult").path("content").path(0);
          results.add(c.has("json") ? c.get("json").toString() : c.path("text").asText());
        }
      }
    }
    return FakeAnswer.decide(lastUser, req.path("toolConfig").path("tools").size() > 0, results);
  }

  private static ObjectNode usage() {
    return JSON.createObjectNode().put("inputTokens", FakeAnswer.PROMPT_TOKENS - FakeAnswer.CACHED_TOKENS)
        .put("outputTokens", FakeAnswer.COMPLETION_TOKENS).put("totalTokens", FakeAnswer.PROMPT_TOKENS + FakeAnswer.COMPLETION_TOKENS)
        .put("cacheReadInputTokens", FakeAnswer.CACHED_TOKENS);
  }

  private static ObjectNode converse(FakeAnswer a) {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode content = out.putObject("output").putObject("message").put("role", "assistant").putArray("content");
    content.addObject().putObject("reasoningContent").putObject("reasoningText").put("text", "thinking...");
    if (!a.text().isEmpty()) {
      content.addObject().put("text", a.text());
    }
    for (FakeAnswer.Call c : a.toolCalls()) {
      try {
        content.addObject().putObject("toolUse").put("toolUseId", c.id()).put("name", c.name()).set("input", JSON.readTree(c.argumentsJson()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    out.put("stopReason", a.hasToolCalls() ? "tool_use" : "end_turn");
    out.set("usage", usage());
    out.putObject("metrics").put("latencyMs", 12);
    return out;
  }

  private static void stream(HttpServerResponse res, FakeAnswer a, String failure) {
    ByteArrayOutputStream s = new ByteArrayOutputStream();
    s.writeBytes(EventStreamEncoder.event("messageStart", "{\"role\":\"assistant\"}"));
    if (!a.text().isEmpty()) {
      for (String piece : a.pieces()) {
        s.writeBytes(EventStreamEncoder.event("contentBlockDelta",
            JSON.createObjectNode().put("contentBlockIndex", 0).set("delta", JSON.createObjectNode().put("text", piece)).toString()));
        if ("badjson".equals(failure)) {
          s.writeBytes(EventStreamEncoder.event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"te"));
        }
      }
      s.writeBytes(EventStreamEncoder.event("contentBlockStop", "{\"contentBlockIndex\":0}"));
    }
    for (int i = 0; i < a.toolCalls().size(); i++) {
      FakeAnswer.Call c = a.toolCalls().get(i);
      int block = i + 1;
      ObjectNode start = JSON.createObjectNode().put("contentBlockIndex", block);
      start.putObject("start").putObject("toolUse").put("toolUseId", c.id()).put("name", c.name());
      s.writeBytes(EventStreamEncoder.event("contentBlockStart", start.toString()));
      String args = c.argumentsJson();
      for (String part : List.of(args.substring(0, 5), args.substring(5))) {
        ObjectNode delta = JSON.createObjectNode().put("contentBlockIndex", block);
        delta.putObject("delta").putObject("toolUse").put("input", part);
        s.writeBytes(EventStreamEncoder.event("contentBlockDelta", delta.toString()));
      }
      s.writeBytes(EventStreamEncoder.event("contentBlockStop", "{\"contentBlockIndex\":" + block + "}"));
    }
    s.writeBytes(EventStreamEncoder.event("messageStop", "{\"stopReason\":\"" + (a.hasToolCalls() ? "tool_use" : "end_turn") + "\"}"));
    ObjectNode meta = JSON.createObjectNode();
    meta.set("usage", usage());
    meta.putObject("metrics").put("latencyMs", 12);
    s.writeBytes(EventStreamEncoder.event("metadata", meta.toString()));
    byte[] all = s.toByteArray();
    int end = "truncated".equals(failure) ? all.length / 2 : all.length;
    if ("corrupt".equals(failure)) {
      all[all.length / 3] ^= 0x5a; // a checksum no longer matches: the framing is lost from there on
    }
    res.setChunked(true).putHeader("content-type", "application/vnd.amazon.eventstream");
    for (int i = 0; i < end; i += 29) {
      res.write(Buffer.buffer(java.util.Arrays.copyOfRange(all, i, Math.min(end, i + 29))));
    }
    res.end();
  }

  static void error(HttpServerResponse res, int status, String type, String message) {
    res.setStatusCode(status).putHeader("content-type", "application/json").putHeader("x-amzn-ErrorType", type)
        .end(JSON.createObjectNode().put("message", message).toString());
  }
}
