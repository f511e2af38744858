package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeOpenAi;
import dev.tollgate.testing.GatewayOnFakeOpenAi;
import dev.tollgate.testing.TestGateway;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Streaming as a real proxy does it: chunk by chunk, bounded waits, failures said out loud, client hang-ups passed on. */
class StreamingTest {
  static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static final HttpClient CLIENT = HttpClient.newHttpClient();

  @RegisterExtension
  static final GatewayOnFakeOpenAi gw = new GatewayOnFakeOpenAi(apiBase -> """
      litellm_settings:
        num_retries: 0
      model_list:
        - model_name: m
          litellm_params:
            model: openai/gpt-4o
            api_base: %s
            api_key: sk-up
            timeout: 10
      """.formatted(apiBase));

  /** A second upstream and gateway with a short {@code stream_timeout}. */
  @RegisterExtension
  static final GatewayOnFakeOpenAi impatient = new GatewayOnFakeOpenAi(apiBase -> """
      litellm_settings:
        num_retries: 0
      model_list:
        - model_name: m
          litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-up, timeout: 10, stream_timeout: 0.8}
      """.formatted(apiBase));

  static HttpResponse<Stream<String>> stream(TestGateway target, String body) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create(target.url() + "/v1/chat/completions"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofLines());
  }

  /** The data of every SSE event, in order. */
  static List<String> events(HttpResponse<Stream<String>> r) {
    try (Stream<String> lines = r.body()) {
      return lines.filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    }
  }

  @Test
  void theFirstChunkReachesTheClientWhileTheUpstreamIsStillStreaming() throws Exception {
    gw.upstream.answer("one two three four five").chunkDelay(Duration.ofMillis(250));
    int completedBefore = gw.upstream.completedResponses();
    HttpResponse<Stream<String>> r = stream(gw.gateway, STREAM);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
    List<String> events = new ArrayList<>();
    try (Stream<String> lines = r.body()) {
      Iterator<String> it = lines.filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).iterator();
      events.add(it.next());
      // the upstream has more to send: the gateway did not wait for the whole answer
      assertThat(gw.upstream.completedResponses()).isEqualTo(completedBefore);
      it.forEachRemaining(events::add);
    }
    assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    for (String e : events.subList(0, events.size() - 1)) {
      text.append(FakeOpenAi.parse(e).path("choices").path(0).path("delta").path("content").asText(""));
    }
    assertThat(text.toString()).isEqualTo("one two three four five");
  }

  @Test
  void manyConcurrentStreamsEachArriveWhole() throws Exception {
    gw.upstream.answer("every stream gets all of its words").chunkDelay(Duration.ofMillis(30));
    HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(STREAM)).build();
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      calls.add(http1.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }
    for (var call : calls) {
      HttpResponse<String> r = call.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      StringBuilder text = new StringBuilder();
      List<String> events = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
      assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
      for (String e : events.subList(0, events.size() - 1)) {
        text.append(FakeOpenAi.parse(e).path("choices").path(0).path("delta").path("content").asText(""));
      }
      assertThat(text.toString()).isEqualTo("every stream gets all of its words");
    }
  }

  @Test
  void aSlowReaderHoldsTheUpstreamBackInsteadOfFillingTheGatewaysMemory() throws Exception {
    int words = 8_000;
    String word = "x".repeat(4096) + " ";
    gw.upstream.answer(word.repeat(words).trim()); // about 32 MB of chunks, more than the sockets on the way can hold
    int completedBefore = gw.upstream.completedResponses();
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(64 * 1024);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", gw.gateway.port()));
      socket.setSoTimeout(30_000);
      byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
          + "authorization: Bearer " + TestGateway.MASTER_KEY + "\r\ncontent-type: application/json\r\n"
          + "content-length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(bytes);
      readUntil(socket.getInputStream(), "data: ");
      Thread.sleep(1_500); // the client reads nothing: whatever the gateway does not hold back piles up somewhere
      assertThat(gw.upstream.completedResponses()).as("the upstream could not finish: the gateway stopped reading it")
          .isEqualTo(completedBefore);
      long events = countEventsUntilDone(socket.getInputStream());
      assertThat(events).isGreaterThanOrEqualTo(words);
    }
    assertThat(gw.upstream.completedResponses()).isEqualTo(completedBefore + 1);
  }

  /** Reads the rest of a stream, counting "data: " events up to "data: [DONE]", keeping only a small window in memory. */
  private static long countEventsUntilDone(InputStream in) throws Exception {
    byte[] marker = "data: ".getBytes(StandardCharsets.US_ASCII);
    byte[] done = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    byte[] buf = new byte[64 * 1024];
    long events = 0;
    int matched = 0;
    int doneMatched = -1;
    for (int n; (n = in.read(buf)) >= 0; ) {
      for (int i = 0; i < n; i++) {
        byte b = buf[i];
        if (doneMatched >= 0) {
          doneMatched = b == done[doneMatched] ? doneMatched + 1 : -1;
          if (doneMatched == done.length) {
            return events;
          }
        }
        matched = b == marker[matched] ? matched + 1 : (b == marker[0] ? 1 : 0);
        if (matched == marker.length) {
          events++;
          matched = 0;
          doneMatched = 0;
        }
      }
    }
    throw new AssertionError("the stream ended without [DONE] after " + events + " events");
  }

  @Test
  void streamTimeoutBoundsTheWaitForTheFirstChunk() throws Exception {
    impatient.upstream.firstChunkDelay(Duration.ofSeconds(5));
    long t0 = System.nanoTime();
    HttpResponse<String> r = impatient.gateway.post("/v1/chat/completions", STREAM);
    long waitedMillis = (System.nanoTime() - t0) / 1_000_000;
    JsonNode err = EdgeCaseTest.error(r, 408);
    assertThat(err.get("message").asText()).contains("stream_timeout");
    assertThat(waitedMillis).as("answered before the upstream's first chunk").isLessThan(5_000);
  }

  @Test
  void streamTimeoutCountsFromTheRequestNotFromTheHeaders() throws Exception {
    // headers after 0.6 s, first chunk 0.6 s later: 1.2 s in all, over the 0.8 s stream_timeout
    impatient.upstream.headersDelay(Duration.ofMillis(600)).firstChunkDelay(Duration.ofMillis(600));
    JsonNode err = EdgeCaseTest.error(impatient.gateway.post("/v1/chat/completions", STREAM), 408);
    assertThat(err.get("message").asText()).contains("stream_timeout");
  }

  @Test
  void theStreamTimeoutHeaderBoundsTheWaitForTheFirstChunkOfThisRequest() {
    // LiteLLM's x-litellm-stream-timeout: the deployment has no stream_timeout, its timeout is 10 s
    gw.upstream.firstChunkDelay(Duration.ofSeconds(5));
    long t0 = System.nanoTime();
    HttpResponse<String> r = TestGateway.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
        .header("x-litellm-stream-timeout", "0.5").POST(HttpRequest.BodyPublishers.ofString(STREAM)).build());
    assertThat(EdgeCaseTest.error(r, 408).get("message").asText()).contains("stream_timeout");
    assertThat((System.nanoTime() - t0) / 1_000_000).as("answered before the upstream's first chunk").isLessThan(4_000);
  }

  @Test
  void anUpstreamRefusingTheClientsOwnStreamOptionsAnswersThatClientAndChangesNothingForOthers() throws Exception {
    String bad = STREAM.replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_obfuscation\":\"yes\"}");
    int before = gw.upstream.requestCount();
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(bad)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode err = EdgeCaseTest.error(r, 400);
    assertThat(err.get("message").asText()).contains("stream_options.include_obfuscation");
    assertThat(gw.upstream.requestCount()).as("not sent again without the client's stream_options").isEqualTo(before + 1);
    // the same client connection, so the same event loop: the deployment still gets asked for exact usage
    events(stream(gw.gateway, STREAM));
    assertThat(gw.upstream.lastBody().path("stream_options").path("include_usage").asBoolean()).isTrue();
  }

  @Test
  void slowChunksAfterTheFirstAreNotCutByStreamTimeout() throws Exception {
    impatient.upstream.answer("steady").chunkDelay(Duration.ofMillis(1200));
    List<String> events = events(stream(impatient.gateway, STREAM));
    assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
  }

  @Test
  void aStreamThatStallsAfterItStartedEndsWithATimeoutEvent() throws Exception {
    gw.upstream.answer("first then silence").chunkDelay(Duration.ofSeconds(20));
    try (TestGateway idleLimited = TestGateway.start("""
        litellm_settings: {num_retries: 0}
        model_list:
          - model_name: m
            litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-up, timeout: 1, stream_timeout: 10}
        """.formatted(gw.upstream.apiBase()))) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = idleLimited.post("/v1/chat/completions", STREAM);
      assertThat((System.nanoTime() - t0) / 1_000_000).as("cut by the 1 s idle timeout, not the 10 s stream_timeout").isLessThan(8_000);
      List<String> events = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
      assertThat(events).hasSize(2);
      JsonNode error = FakeOpenAi.parse(events.get(1)).get("error");
      assertThat(error.get("code").asText()).isEqualTo("timeout");
      assertThat(error.get("message").asText()).contains("no chunk within timeout");
    }
  }

  @Test
  void aStreamThatBreaksMidWayEndsWithAnErrorEvent() throws Exception {
    gw.upstream.answer("one two three four five six").breakAfter(3);
    List<String> events = events(stream(gw.gateway, STREAM));
    assertThat(events).hasSize(4);
    assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(FakeOpenAi.parse(e).path("object").asText()).isEqualTo("chat.completion.chunk"));
    JsonNode error = FakeOpenAi.parse(events.get(3)).get("error");
    assertThat(error).isNotNull();
    assertThat(error.get("message").asText()).isNotBlank();
    assertThat(events).doesNotContain("[DONE]");
  }

  @Test
  void aStreamThatEndsCleanlyBeforeAnyFinishReasonEndsWithAnErrorEvent() throws Exception {
    gw.upstream.answer("one two three four").endAfter(3);
    List<String> events = events(stream(gw.gateway, STREAM));
    assertThat(events).hasSize(4).doesNotContain("[DONE]");
    JsonNode error = FakeOpenAi.parse(events.get(3)).get("error");
    assertThat(error).as(events.get(3)).isNotNull();
    assertThat(error.get("message").asText()).contains("stream ended before the response was complete");
  }

  @Test
  void aStreamThatLeavesOutDoneAfterItsFinishReasonEndsNormally() throws Exception {
    // some OpenAI-compatible servers never send [DONE]
    gw.upstream.answer("one two").endAfter(Integer.MAX_VALUE);
    List<String> events = events(stream(gw.gateway,
        STREAM.replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}")));
    assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
    assertThat(FakeOpenAi.parse(events.get(events.size() - 2)).path("usage").path("completion_tokens").asInt()).isEqualTo(2);
  }

  @Test
  void anEventStreamThatEndsWithoutAnyEventIs502() {
    gw.upstream.endAfter(0);
    JsonNode err = EdgeCaseTest.error(gw.gateway.post("/v1/chat/completions", STREAM), 502);
    assertThat(err.get("message").asText()).contains("without a stream of events");
  }

  @Test
  void anInvalidChunkEndsTheStreamWithAnErrorEvent() throws Exception {
    gw.upstream.answer("one two three four").invalidChunkAfter(2);
    List<String> events = events(stream(gw.gateway, STREAM));
    assertThat(events).hasSize(3);
    assertThat(events.subList(0, 2)).allSatisfy(e -> assertThat(FakeOpenAi.parse(e)).isNotNull());
    JsonNode error = FakeOpenAi.parse(events.get(2)).get("error");
    assertThat(error).isNotNull();
    assertThat(error.get("message").asText()).contains("not JSON");
  }

  @Test
  void anUpstreamErrorEventMidStreamReachesTheClientOnceAsTheStreamsEnd() throws Exception {
    gw.upstream.answer("one two three four").errorEventAfter(2);
    List<String> events = events(stream(gw.gateway, STREAM));
    assertThat(events).as("two chunks, then one error event").hasSize(3);
    JsonNode error = FakeOpenAi.parse(events.get(2)).get("error");
    assertThat(error.get("message").asText()).contains("The server had an error while processing your request.");
    assertThat(error.get("type").asText()).isEqualTo("server_error");
  }

  @Test
  void aClientThatHangsUpMidStreamCancelsTheUpstreamRequest() throws Exception {
    gw.upstream.answer("a b c d e f g h i j k l m n o p q r s t").chunkDelay(Duration.ofMillis(200));
    assertHangUpCancelsUpstream(STREAM, in -> readUntil(in, "data: "));
  }

  @Test
  void aClientThatHangsUpBeforeTheFirstChunkCancelsTheUpstreamRequest() throws Exception {
    gw.upstream.firstChunkDelay(Duration.ofSeconds(30));
    try (TestGateway patient = TestGateway.start("""
        litellm_settings: {num_retries: 0}
        model_list:
          - model_name: m
            litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-up}
        """.formatted(gw.upstream.apiBase()))) {
      int received = gw.upstream.requestCount();
      assertHangUpCancelsUpstream(patient, STREAM, in -> awaitRequests(received + 1));
    }
  }

  @Test
  void aClientThatHangsUpOnAPendingJsonAnswerCancelsTheUpstreamRequest() throws Exception {
    gw.upstream.hang();
    int received = gw.upstream.requestCount();
    assertHangUpCancelsUpstream(STREAM.replace("\"stream\":true", "\"stream\":false"), in -> awaitRequests(received + 1));
  }

  @Test
  void anHttp2ClientThatCancelsItsStreamCancelsTheUpstreamRequest() throws Exception {
    gw.upstream.answer("a b c d e f g h i j k l m n o p q r s t").chunkDelay(Duration.ofMillis(200));
    int abortedBefore = gw.upstream.abortedRequests();
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpResponse<InputStream> r = h2.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.version()).as("h2c upgrade accepted").isEqualTo(HttpClient.Version.HTTP_2);
    try (InputStream in = r.body()) {
      readUntil(in, "data: ");
    } // closing the body resets the HTTP/2 stream, the connection stays open
    assertThat(gw.upstream.awaitAborted(abortedBefore + 1, Duration.ofSeconds(5))).as("the upstream saw its request abandoned").isTrue();
    HttpResponse<String> next = h2.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/health/liveness")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(next.statusCode()).isEqualTo(200);
  }

  interface Step {
    void run(InputStream in) throws Exception;
  }

  private static void assertHangUpCancelsUpstream(String body, Step beforeHangingUp) throws Exception {
    assertHangUpCancelsUpstream(gw.gateway, body, beforeHangingUp);
  }

  /** Sends the request on a raw socket, runs the step, closes the socket: the upstream must see its request abandoned. */
  private static void assertHangUpCancelsUpstream(TestGateway target, String body, Step beforeHangingUp) throws Exception {
    int abortedBefore = gw.upstream.abortedRequests();
    int completedBefore = gw.upstream.completedResponses();
    try (Socket socket = new Socket("127.0.0.1", target.port())) {
      socket.setSoTimeout(10_000);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
          + "authorization: Bearer " + TestGateway.MASTER_KEY + "\r\ncontent-type: application/json\r\n"
          + "content-length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      beforeHangingUp.run(socket.getInputStream());
    }
    assertThat(gw.upstream.awaitAborted(abortedBefore + 1, Duration.ofSeconds(5)))
        .as("the upstream saw its connection closed").isTrue();
    assertThat(gw.upstream.completedResponses()).isEqualTo(completedBefore);
  }

  private static void awaitRequests(int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (gw.upstream.requestCount() < n) {
      assertThat(System.nanoTime()).as("the upstream got the request").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static void readUntil(InputStream in, String marker) throws Exception {
    StringBuilder seen = new StringBuilder();
    byte[] buf = new byte[1024];
    while (!seen.toString().contains(marker)) {
      int n = in.read(buf);
      if (n < 0) {
        throw new AssertionError("connection closed before " + marker + ": " + seen);
      }
      seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
  }
}
