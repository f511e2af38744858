package dev.tollgate.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
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
import org.junit.jupiter.api.Test;

/**
 * 256 concurrent streams through the Gemini translation: the fake upstream sends each stream's
 * first event and holds the rest back until every client has received its first chunk. A
 * gateway that buffered a stream, or served streams one after another, never lets that happen.
 */
class GeminiStallTest {
  private static final int STREAMS = 256;

  @Test
  void everyStreamFlowsWhileAllAreOpen() throws Exception {
    CountDownLatch firstChunks = new CountDownLatch(STREAMS);
    List<HttpServerResponse> held = new CopyOnWriteArrayList<>();
    String event = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"%s\"}]}%s}]%s}\r\n\r\n";
    try (FakeUpstream up = FakeUpstream.start()) {
      up.onPostRegex("/v1beta/models/stall:streamGenerateContent", rc -> {
        HttpServerResponse res = rc.response().setChunked(true).putHeader("content-type", "text/event-stream");
        res.write(event.formatted("first ", "", ""));
        held.add(res);
      });
      long release = up.vertx().setPeriodic(20, id -> {
        if (firstChunks.getCount() == 0) {
          up.vertx().cancelTimer(id);
          for (HttpServerResponse res : held) {
            res.write(event.formatted("second ", "", ""));
            res.end(event.formatted("third", ",\"finishReason\":\"STOP\"", ",\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":3}"));
          }
        }
      });
      try (TestGateway gw = TestGateway.start("model_list:\n  - model_name: g\n    litellm_params:\n      model: gemini/stall\n      api_base: "
          + up.url() + "/v1beta\n      api_key: k\n");
          ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(gw.url() + "/v1/chat/completions"))
            .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"g\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}"))
            .build();
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
          results.add(threads.submit(() -> {
            HttpResponse<java.util.stream.Stream<String>> r = client.send(request, HttpResponse.BodyHandlers.ofLines());
            StringBuilder text = new StringBuilder();
            boolean counted = false;
            for (Iterator<String> it = r.body().iterator(); it.hasNext(); ) {
              String line = it.next();
              if (line.startsWith("data: ") && line.contains("\"content\"")) {
                text.append(line.replaceAll(".*\"content\":\"([^\"]*)\".*", "$1"));
                if (!counted) {
                  counted = true;
                  firstChunks.countDown();
                }
              }
              if (line.equals("data: [DONE]")) {
                text.append("|DONE");
              }
            }
            return text.toString();
          }));
        }
        assertThat(firstChunks.await(60, TimeUnit.SECONDS)).as("every client got its first chunk while all upstreams were held").isTrue();
        for (Future<String> f : results) {
          assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo("first second third|DONE");
        }
      } finally {
        up.vertx().cancelTimer(release);
      }
    }
  }
}
