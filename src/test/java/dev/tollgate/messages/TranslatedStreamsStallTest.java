package dev.tollgate.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.testing.FakeAnthropic;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.GatewayOnFakeUpstream;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 256 concurrent streams through each translated path (Anthropic clients in front of an OpenAI
 * model, OpenAI clients in front of an Anthropic model). The fake upstreams send the first words
 * of every stream, then hold the rest back until all 256 clients have received those words: so
 * the test only finishes if the gateway relays each stream's events as they come, all streams
 * side by side (a gateway that buffers a stream, or serves streams one after another, never
 * releases the upstreams and fails on the timeout). Then every piece must arrive, in order.
 */
class TranslatedStreamsStallTest {
  static final int STREAMS = 256;
  static final String TEXT = "alpha bravo charlie dog echo foxtrot golf hotel india juliet kilo lima mike november oscar";
  static final AtomicInteger firstWordsSeen = new AtomicInteger();
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(TranslatedStreamsStallTest::heldBackAnswers, url -> """
      model_list:
        - model_name: gpt
          litellm_params: {model: openai/gpt-4o, api_base: URL/openai, api_key: k}
        - model_name: claude
          litellm_params: {model: anthropic/claude-x, api_base: URL/anthropic, api_key: k}
      """.replace("URL", url));
  static HttpClient http;

  private static void heldBackAnswers(FakeUpstream upstream) {
    // OpenAI chunks: role, "alpha " | held: the other words, finish, usage, [DONE]
    upstream.onPost("/openai/chat/completions", ScriptedOpenAi.answer(TEXT, null, "stop", 5, i -> i < 2 || allSawFirstWords()));
    // Anthropic events: message_start, ping, block start, first half of the first block | held: the rest (24 events in all)
    String[] w = TEXT.split(" ");
    ObjectNode[] blocks = new ObjectNode[5];
    for (int i = 0; i < 5; i++) {
      blocks[i] = FakeAnthropic.text(w[3 * i] + " " + w[3 * i + 1] + " " + w[3 * i + 2] + " ");
    }
    upstream.onPost("/anthropic/v1/messages", FakeAnthropic.answer(req -> FakeAnthropic.message("end_turn", 5, 15, blocks), 5,
        i -> i < 4 || allSawFirstWords()));
  }

  @BeforeAll
  static void start() {
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(20)).build();
  }

  private static boolean allSawFirstWords() {
    return firstWordsSeen.get() >= STREAMS;
  }

  @BeforeEach
  void reset() {
    firstWordsSeen.set(0);
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  @Test
  void anthropicClientsInFrontOfAnOpenAiModel() throws Exception {
    List<String> bodies = run("/v1/messages", "{\"model\":\"gpt\",\"max_tokens\":100,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
    for (String body : bodies) {
      assertThat(textOf(body, "\"text\":\"")).isEqualTo(TEXT);
      assertThat(body).endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    }
  }

  @Test
  void openAiClientsInFrontOfAnAnthropicModel() throws Exception {
    List<String> bodies = run("/v1/chat/completions", "{\"model\":\"claude\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
    for (String body : bodies) {
      assertThat(textOf(body, "\"content\":\"")).isEqualTo(TEXT);
      assertThat(body).endsWith("data: [DONE]\n\n");
    }
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

  private static List<String> run(String path, String body) throws Exception {
    List<CompletableFuture<String>> futures = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      HttpRequest req = HttpRequest.newBuilder(URI.create(gw.gateway.url() + path)).timeout(Duration.ofSeconds(60))
          .header("content-type", "application/json").header("authorization", "Bearer " + TestGateway.MASTER_KEY)
          .POST(HttpRequest.BodyPublishers.ofString(body)).build();
      futures.add(http.sendAsync(req, info -> HttpResponse.BodySubscribers.fromSubscriber(new Collector(), Collector::body))
          .thenApply(r -> {
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
          }));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    return futures.stream().map(CompletableFuture::join).toList();
  }

  /** Collects a body; counts the stream in {@link #firstWordsSeen} as soon as the first word arrived. */
  static final class Collector implements Flow.Subscriber<List<ByteBuffer>> {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean counted;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer b : items) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        bytes.writeBytes(a);
      }
      if (!counted && bytes.toString(StandardCharsets.UTF_8).contains("alpha")) {
        counted = true;
        firstWordsSeen.incrementAndGet();
      }
    }

    @Override
    public void onError(Throwable t) {
      bytes.writeBytes(("failed: " + t).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void onComplete() {
    }

    String body() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }
}
