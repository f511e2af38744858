package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.json.Json;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** /metrics switches, the separate health app under load, /health/backlog and background health checks. */
class HealthAndEndpointsTest {
  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static HttpResponse<String> get(HttpClient client, String url, Duration timeout) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metricsAreOffWithoutThePrometheusCallbackAndCanRequireAuth() {
    try (FakeUpstream upstream = LlmUpstream.start()) {
      try (TestGateway off = TestGateway.start(PrometheusMetricsTest.yaml(upstream, "").replace("  callbacks: [\"prometheus\"]\n", ""))) {
        assertThat(off.get("/metrics", null).statusCode()).isEqualTo(404);
      }
      try (TestGateway auth = TestGateway.start(PrometheusMetricsTest.yaml(upstream, "general_settings:\n  require_auth_for_metrics_endpoint: true"))) {
        assertThat(auth.get("/metrics", null).statusCode()).isEqualTo(401);
        assertThat(auth.get("/metrics", TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void healthPortAnswersWhileTheMainPortIsSaturatedOrStuck() throws Exception {
    int streams = 200;
    int healthPort = freePort();
    // an upstream that sends one chunk and then holds every stream open
    try (FakeUpstream upstream = FakeUpstream.start().onPost("/v1/chat/completions", rc -> rc.response().setChunked(true)
            .putHeader("content-type", "text/event-stream")
            .write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n"));
         TestGateway gateway = TestGateway.start(PrometheusMetricsTest.yaml(upstream, ""),
             Map.of("SEPARATE_HEALTH_APP", "1", "SEPARATE_HEALTH_PORT", Integer.toString(healthPort)))) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      try {
        saturateThenCheck(client, gateway, healthPort, streams);
      } finally {
        client.shutdownNow(); // close() would wait for the streams that never end
      }
    }
  }

  private static void saturateThenCheck(HttpClient client, TestGateway gateway, int healthPort, int streams) throws Exception {
    {
      String health = "http://127.0.0.1:" + healthPort;
      assertThat(get(client, health + "/health/liveliness", Duration.ofSeconds(5)).body()).isEqualTo("\"I'm alive!\"");
      assertThat(get(client, health + "/health/liveness", Duration.ofSeconds(5)).statusCode()).isEqualTo(200);
      assertThat(json(get(client, health + "/health/readiness", Duration.ofSeconds(5)).body()).path("status").asText())
          .isEqualTo("healthy");
      assertThat(backlog(client, health)).isZero();

      List<CompletableFuture<HttpResponse<java.io.InputStream>>> open = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        open.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions"))
            .header("authorization", "Bearer " + TestGateway.MASTER_KEY)
            .POST(HttpRequest.BodyPublishers.ofString(LlmUpstream.chat("hi", true))).build(), HttpResponse.BodyHandlers.ofInputStream()));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (backlog(client, health) < streams && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(backlog(client, health)).isEqualTo(streams);
      // the main port's own /health/backlog counts the streams and itself
      assertThat(json(gateway.get("/health/backlog", null).body()).path("in_flight_requests").asLong()).isEqualTo(streams + 1);
      assertThat(maxLatencyMillis(client, health + "/health/liveliness", 50)).isLessThan(1000);

      // now stall every main event loop: the main port stops answering, the health port does not
      var loops = ((io.vertx.core.internal.VertxInternal) gateway.gateway().vertx()).nettyEventLoopGroup();
      for (io.netty.util.concurrent.EventExecutor loop : loops) {
        loop.execute(() -> sleep(1500));
      }
      Thread.sleep(100);
      boolean mainAnswered;
      try {
        get(client, gateway.url() + "/health/liveliness", Duration.ofMillis(700));
        mainAnswered = true;
      } catch (HttpTimeoutException e) {
        mainAnswered = false;
      }
      assertThat(mainAnswered).as("main port answered although its event loops were blocked").isFalse();
      assertThat(maxLatencyMillis(client, health + "/health/liveliness", 20)).isLessThan(1000);
      open.forEach(f -> f.cancel(true));
    }
  }

  static JsonNode json(String body) throws Exception {
    return Json.parse(io.vertx.core.buffer.Buffer.buffer(body));
  }

  static long backlog(HttpClient client, String health) throws Exception {
    JsonNode body = json(get(client, health + "/health/backlog", Duration.ofSeconds(5)).body());
    return body.path("in_flight_requests").asLong(-1);
  }

  static long maxLatencyMillis(HttpClient client, String url, int n) throws Exception {
    long max = 0;
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      assertThat(get(client, url, Duration.ofSeconds(5)).statusCode()).isEqualTo(200);
      max = Math.max(max, (System.nanoTime() - t0) / 1_000_000);
    }
    return max;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void backgroundHealthChecksFeedHealthAndDeploymentState() throws Exception {
    try (FakeUpstream upstream = LlmUpstream.start();
         TestGateway gateway = TestGateway.start("""
             model_list:
               - model_name: good
                 litellm_params: {model: openai/gpt-4o-mini, api_base: "%s/v1", api_key: sk-provider-good-123456}
               - model_name: bad
                 litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:1/v1", api_key: sk-provider-bad-123456}
             litellm_settings:
               callbacks: ["prometheus"]
             general_settings:
               background_health_checks: true
               health_check_interval: 1
             """.formatted(upstream.url()))) {
      JsonNode health = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline) {
        health = json(gateway.get("/health").body());
        if (health.has("healthy_count")) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(health.path("healthy_count").asInt()).isEqualTo(1);
      assertThat(health.path("unhealthy_count").asInt()).isEqualTo(1);
      assertThat(health.path("unhealthy_endpoints").get(0).path("model_name").asText()).isEqualTo("bad");
      assertThat(gateway.get("/health", null).statusCode()).isEqualTo(401);
      Scrape s = Scrape.parse(gateway.get("/metrics", null).body());
      Map<String, Double> state = new java.util.HashMap<>();
      s.series("litellm_deployment_state").forEach(x -> state.put(x.labels().get("api_base"), x.value()));
      assertThat(state).containsEntry("http://127.0.0.1:1/v1", 2.0).containsEntry(upstream.url() + "/v1", 0.0);
    }
  }
}
