package dev.tollgate.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.testing.FakeAnthropic;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.ScriptedOpenAi;
import dev.tollgate.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 256 concurrent streams through each translated path (Anthropic clients in front of an OpenAI
 * model, OpenAI clients in front of an Anthropic model), each upstream event 100 ms after the
 * last: every stream gets every piece, and they run side by side — all of them have their first
 * event before the first of them can have finished, which a gateway that serialises streams
 * (or buffers one until it ends) cannot do.
 */
class TranslatedStreamsStallTest {
  static final int STREAMS = 256;
  static final long GAP_MILLIS = 100;
  static final String TEXT = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
  static FakeUpstream upstream;
  static TestGateway gateway;
  static HttpClient http;

  @BeforeAll
  static void start() {
    upstream = FakeUpstream.start();
    upstream.onPost("/openai/chat/completions", ScriptedOpenAi.answer(TEXT, null, "stop", GAP_MILLIS));
    // five text blocks of three words: 24 events
    String[] w = TEXT.split(" ");
    ObjectNode[] blocks = new ObjectNode[5];
    for (int i = 0; i < 5; i++) {
      blocks[i] = FakeAnthropic.text(w[3 * i] + " " + w[3 * i + 1] + " " + w[3 * i + 2] + " ");
    }
    upstream.onPost("/anthropic/v1/messages", FakeAnthropic.answer(req -> FakeAnthropic.message("end_turn", 5, 15, blocks), GAP_MILLIS));
    gateway = TestGateway.start(("""
        model_list:
          - model_name: gpt
            litellm_params: {model: openai/gpt-4o, api_base: URL/openai, api_key: k}
          - model_name: claude
            litellm_params: {model: anthropic/claude-x, api_base: URL/anthropic, api_key: k}
        """).replace("URL", upstream.url()));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(20)).build();
  }

  @AfterAll
  static void stop() {
    http.close();
    gateway.close();
    upstream.close();
  }

  @Test
  void anthropicClientsInFrontOfAnOpenAiModel() throws Exception {
    List<Timed> results = run("/v1/messages", "{\"model\":\"gpt\",\"max_tokens\":100,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
    for (Timed r : results) {
      assertThat(textOf(r.body, "\"text\":\"")).isEqualTo(TEXT);
      assertThat(r.body).endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    }
    assertSideBySide(results);
  }

  @Test
  void openAiClientsInFrontOfAnAnthropicModel() throws Exception {
    List<Timed> results = run("/v1/chat/completions", "{\"model\":\"claude\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
    for (Timed r : results) {
      assertThat(textOf(r.body, "\"content\":\"").strip()).isEqualTo(TEXT);
      assertThat(r.body).endsWith("data: [DONE]\n\n");
    }
    assertSideBySide(results);
  }

  /** The slowest first event came before the quickest stream could have ended (it takes ≥ 15 gaps). */
  private static void assertSideBySide(List<Timed> results) {
    long lastFirstEvent = results.stream().mapToLong(r -> r.firstNanos).max().orElseThrow();
    long firstEnd = results.stream().mapToLong(r -> r.endNanos).min().orElseThrow();
    assertThat(lastFirstEvent).as("every stream started before any finished").isLessThan(firstEnd);
  }

  private static String textOf(String sse, String field) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while ((i = sse.indexOf(field, i)) >= 0) {
      int start = i + field.length();
      int end = sse.indexOf('"', start);
      sb.append(sse, start, end);
      i = end;
    }
    return sb.toString().strip();
  }

  private static List<Timed> run(String path, String body) throws Exception {
    List<CompletableFuture<Timed>> futures = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      HttpRequest req = HttpRequest.newBuilder(URI.create(gateway.url() + path)).timeout(Duration.ofSeconds(60))
          .header("content-type", "application/json").header("authorization", "Bearer " + TestGateway.MASTER_KEY)
          .POST(HttpRequest.BodyPublishers.ofString(body)).build();
      futures.add(http.sendAsync(req, info -> HttpResponse.BodySubscribers.fromSubscriber(new Timed(), t -> t))
          .thenApply(r -> {
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
          }));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
    return futures.stream().map(CompletableFuture::join).toList();
  }

  /** Collects a body and notes when its first and last bytes came. */
  static final class Timed implements Flow.Subscriber<List<ByteBuffer>> {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long firstNanos;
    long endNanos;
    String body;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (firstNanos == 0) {
        firstNanos = System.nanoTime();
      }
      for (ByteBuffer b : items) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        bytes.writeBytes(a);
      }
    }

    @Override
    public void onError(Throwable t) {
      endNanos = System.nanoTime();
      body = "failed: " + t;
    }

    @Override
    public void onComplete() {
      endNanos = System.nanoTime();
      body = bytes.toString(StandardCharsets.UTF_8);
    }
  }
}
