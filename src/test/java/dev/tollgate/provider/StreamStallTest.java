package dev.tollgate.provider;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.EventStreamEncoder;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 256 concurrent streams through each translated path: the fake upstream sends each stream's
 * first event in the provider's framing and holds the rest back until every client has received
 * its first chunk. A gateway that buffered a stream, or served streams one after another, never
 * lets that happen (the test then fails on the latch, it does not hang).
 */
class StreamStallTest {
  private static final int STREAMS = Integer.getInteger("stall.streams", 256);

  /** One provider's held stream: where it is served, its content type, its first event and the rest. */
  record Case(String name, String litellmParams, String pathRegex, String contentType, Buffer first, Buffer rest, boolean geminiClient) {
    Case(String name, String litellmParams, String pathRegex, String contentType, Buffer first, Buffer rest) {
      this(name, litellmParams, pathRegex, contentType, first, rest, false);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>(outbound());
    Case ollama = cases.get(2);
    // both directions translated: a Gemini-format client in front of Ollama
    cases.add(new Case("gemini ingress -> ollama_chat", ollama.litellmParams(), ollama.pathRegex(), ollama.contentType(),
        ollama.first(), ollama.rest(), true));
    String only = System.getProperty("stall.case");
    return only == null ? cases : cases.stream().filter(c -> c.name().startsWith(only)).toList();
  }

  static List<Case> outbound() {
    String gemini = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"%s\"}]}%s}]}\r\n\r\n";
    String cohere = "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"%s\"}}}}\n\n";
    String ollama = "{\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}\n";
    return List.of(
        new Case("gemini", "model: gemini/stall, api_key: k", "/models/stall:streamGenerateContent", "text/event-stream",
            Buffer.buffer(gemini.formatted("first ", "")),
            Buffer.buffer(gemini.formatted("second ", "")).appendString(gemini.formatted("third", ",\"finishReason\":\"STOP\""))),
        new Case("bedrock", "model: bedrock/stall, api_key: k", "/model/stall/converse-stream", "application/vnd.amazon.eventstream",
            Buffer.buffer(EventStreamEncoder.event("messageStart", "{\"role\":\"assistant\"}"))
                .appendBytes(EventStreamEncoder.event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"first \"}}")),
            Buffer.buffer(EventStreamEncoder.event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"second \"}}"))
                .appendBytes(EventStreamEncoder.event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"third\"}}"))
                .appendBytes(EventStreamEncoder.event("messageStop", "{\"stopReason\":\"end_turn\"}"))),
        new Case("ollama_chat", "model: ollama_chat/stall", "/api/chat", "application/x-ndjson",
            Buffer.buffer(ollama.formatted("first ")),
            Buffer.buffer(ollama.formatted("second ") + ollama.formatted("third")
                + "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n")),
        new Case("cohere", "model: cohere/stall, api_key: k", "/v2/chat", "text/event-stream",
            Buffer.buffer(cohere.formatted("first ")),
            Buffer.buffer(cohere.formatted("second ") + cohere.formatted("third")
                + "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\"}}\n\n")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyStreamFlowsWhileAllAreOpen(Case c) throws Exception {
    CountDownLatch firstChunks = new CountDownLatch(STREAMS);
    List<HttpServerResponse> held = new CopyOnWriteArrayList<>();
    try (FakeUpstream up = FakeUpstream.start()) {
      up.onPostRegex(".*" + java.util.regex.Pattern.quote(c.pathRegex()), rc -> {
        HttpServerResponse res = rc.response().setChunked(true).putHeader("content-type", c.contentType());
        res.write(c.first());
        held.add(res);
      });
      long release = up.vertx().setPeriodic(20, id -> {
        if (firstChunks.getCount() == 0) {
          up.vertx().cancelTimer(id);
          for (HttpServerResponse res : held) {
            res.end(c.rest());
          }
        }
      });
      TestGateway gw = TestGateway.start("model_list:\n  - model_name: g\n    litellm_params: {" + c.litellmParams()
          + ", api_base: " + up.url() + "}\n");
      ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
      try {
        // HTTP/1.1 as the SDKs speak it: the JDK client's default h2c upgrade would multiplex the
        // streams over one connection, capped by the server's HTTP/2 max concurrent streams
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(gw.url()
                + (c.geminiClient() ? "/v1beta/models/g:streamGenerateContent?alt=sse" : "/v1/chat/completions")))
            .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(c.geminiClient()
                ? "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"go\"}]}]}"
                : "{\"model\":\"g\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}"))
            .build();
        String textField = c.geminiClient() ? "text" : "content";
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
          results.add(threads.submit(() -> {
            HttpResponse<java.util.stream.Stream<String>> r = client.send(request, HttpResponse.BodyHandlers.ofLines());
            StringBuilder text = new StringBuilder();
            boolean counted = false;
            for (Iterator<String> it = r.body().iterator(); it.hasNext(); ) {
              String line = it.next();
              if (line.startsWith("data: ") && line.contains("\"" + textField + "\"")) {
                text.append(line.replaceAll(".*\"" + textField + "\":\"([^\"]*)\".*", "$1"));
                if (!counted) {
                  counted = true;
                  firstChunks.countDown();
                }
              }
              if (line.equals("data: [DONE]") || line.contains("\"finishReason\":\"STOP\"")) {
                text.append("|DONE");
              }
            }
            return text.toString();
          }));
        }
        assertThat(firstChunks.await(60, TimeUnit.SECONDS)).as("every client got its first chunk while all upstreams were held; missing: %d", firstChunks.getCount()).isTrue();
        for (Future<String> f : results) {
          assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo("first second third|DONE");
        }
      } finally {
        // on failure, streams still held would keep clients waiting: cut them, and wait for no one
        up.vertx().cancelTimer(release);
        held.forEach(HttpServerResponse::reset);
        threads.shutdownNow();
        gw.close();
      }
    }
  }
}
