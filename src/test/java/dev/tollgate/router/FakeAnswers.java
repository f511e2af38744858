package dev.tollgate.router;

import io.vertx.ext.web.RoutingContext;

/** Minimal OpenAI answers and failures for fake upstreams in the router and cache tests. */
final class FakeAnswers {
  private FakeAnswers() {}

  static void ok(RoutingContext rc, String text) {
    rc.response().putHeader("content-type", "application/json").end("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\","
        + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
        + text + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}");
  }

  static void fail(RoutingContext rc, int status, String retryAfter) {
    if (retryAfter != null) {
      rc.response().putHeader("retry-after", retryAfter);
    }
    rc.response().setStatusCode(status).putHeader("content-type", "application/json")
        .end("{\"error\":{\"message\":\"fake failure " + status + "\",\"type\":\"x\",\"code\":\"" + status + "\"}}");
  }

  static String chunk(String text) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\"" + text + "\"},\"finish_reason\":null}]}\n\n";
  }

  static void stream(RoutingContext rc, String... pieces) {
    rc.response().setChunked(true).putHeader("content-type", "text/event-stream");
    for (String p : pieces) {
      rc.response().write(chunk(p));
    }
    rc.response().end("data: [DONE]\n\n");
  }

  static String chat(String content) {
    return "{\"model\":\"MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }
}
