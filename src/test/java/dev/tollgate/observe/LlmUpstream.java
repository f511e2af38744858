package dev.tollgate.observe;

import dev.tollgate.testing.FakeUpstream;
import io.vertx.ext.web.RoutingContext;

/**
 * A fake OpenAI upstream with known answers: usage 10 prompt + 5 completion tokens; a request whose
 * last message says "fail" gets a 500; streams send two content chunks then the usage chunk.
 */
final class LlmUpstream {
  private LlmUpstream() {}

  static final String COMPLETION = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-mini\","
      + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"the-answer-text\"},\"finish_reason\":\"stop\"}],"
      + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}";

  static FakeUpstream start() {
    return install(FakeUpstream.start());
  }

  /** Makes {@code upstream} answer chat completions as this class does. */
  static FakeUpstream install(FakeUpstream upstream) {
    return upstream.onPost("/v1/chat/completions", LlmUpstream::answer);
  }

  static void answer(RoutingContext rc) {
    String body = rc.body().asString();
    if (body.contains("fail")) {
      rc.response().setStatusCode(500).putHeader("content-type", "application/json")
          .end("{\"error\":{\"message\":\"upstream broke\",\"type\":\"server_error\"}}");
      return;
    }
    if (body.contains("\"stream\":true")) {
      var r = rc.response().setChunked(true).putHeader("content-type", "text/event-stream");
      r.write(chunk("{\"content\":\"the-\"}", "null"));
      r.write(chunk("{\"content\":\"answer\"}", "\"stop\""));
      r.write("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[],"
          + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}\n\n");
      r.end("data: [DONE]\n\n");
      return;
    }
    rc.response().putHeader("content-type", "application/json").end(COMPLETION);
  }

  private static String chunk(String delta, String finish) {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]}\n\n";
  }

  static String chat(String text, boolean stream) {
    return "{\"model\":\"gpt-test\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
  }
}
