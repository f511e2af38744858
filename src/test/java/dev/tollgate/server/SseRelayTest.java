package dev.tollgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import io.vertx.core.http.HttpServerResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The relay writes what arrived together in one go, but never holds back what has arrived. */
class SseRelayTest {
  private static String chunk(String content) {
    return "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"}}]}\n\n";
  }

  private static final String USAGE = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n";

  @Test
  void eachUpstreamReadReachesTheClientBeforeTheNextOneArrives() throws Exception {
    CompletableFuture<Void> clientSawFirst = new CompletableFuture<>();
    try (FakeUpstream upstream = FakeUpstream.start()) {
      upstream.onPost("/v1/chat/completions", rc -> {
        HttpServerResponse r = rc.response().setChunked(true).putHeader("content-type", "text/event-stream");
        r.write(chunk("Hel") + chunk("lo"));
        clientSawFirst.thenRun(() -> upstream.vertx().runOnContext(v -> r.end(chunk("!") + USAGE + "data: [DONE]\n\n")));
      });
      try (TestGateway gateway = TestGateway.start(config(upstream))) {
        Iterator<String> lines = streamedEvents(gateway).iterator();
        List<String> received = new ArrayList<>();
        // both events of the first upstream write arrive while the upstream still waits for us
        received.add(CompletableFuture.supplyAsync(lines::next).get(10, TimeUnit.SECONDS));
        received.add(CompletableFuture.supplyAsync(lines::next).get(10, TimeUnit.SECONDS));
        clientSawFirst.complete(null);
        lines.forEachRemaining(received::add);
        assertThat(received).containsExactly(chunk("Hel").strip(), chunk("lo").strip(), chunk("!").strip(), "data: [DONE]");
      }
    }
  }

  @Test
  void manyEventsInOneUpstreamReadAllArriveInOrder() throws Exception {
    StringBuilder oneWrite = new StringBuilder();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 300; i++) { // ~25 KB: the pending buffer outgrows its first two sizes
      oneWrite.append(chunk("w" + i));
      expected.add(chunk("w" + i).strip());
    }
    expected.add("data: [DONE]");
    try (FakeUpstream upstream = FakeUpstream.start()) {
      upstream.onPost("/v1/chat/completions", rc -> rc.response().putHeader("content-type", "text/event-stream")
          .end(oneWrite + USAGE + "data: [DONE]\n\n"));
      try (TestGateway gateway = TestGateway.start(config(upstream))) {
        try (Stream<String> events = streamedEvents(gateway)) {
          assertThat(events.toList()).containsExactlyElementsOf(expected);
        }
      }
    }
  }

  /** The event lines (no blank separators) of a streamed chat completion through the gateway. */
  private static Stream<String> streamedEvents(TestGateway gateway) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        .build();
    HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body().filter(l -> !l.isEmpty());
  }

  private static String config(FakeUpstream upstream) {
    return """
        model_list:
          - model_name: m
            litellm_params: {model: openai/gpt-x, api_base: "%s/v1", api_key: sk-upstream}
        """.formatted(upstream.url());
  }
}
