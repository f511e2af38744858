import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Health-port isolation: a gateway process (SEPARATE_HEALTH_APP=1) whose main port holds STREAMS
 * slow upstream streams open; measures the latency of /health/liveliness on the health port
 * (and, for comparison, on the main port). Run through bench/health-isolation.sh.
 */
public class HealthIsolationBench {
  public static void main(String[] args) throws Exception {
    int streams = Integer.parseInt(System.getenv().getOrDefault("STREAMS", "1000"));
    int probes = Integer.parseInt(System.getenv().getOrDefault("PROBES", "2000"));
    String jar = args[0];
    Vertx vertx = Vertx.vertx();
    // an upstream that sends one chunk, then a keep-alive comment every second, and never ends
    var upstream = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      var r = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
      r.write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n");
      long t = vertx.setPeriodic(1000, id -> r.write(": keep-alive\n\n"));
      r.closeHandler(v -> vertx.cancelTimer(t));
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
    int port = freePort();
    int healthPort = freePort();
    Path config = Files.createTempFile("bench-health", ".yaml");
    Files.writeString(config, """
        model_list:
          - model_name: slow
            litellm_params: {model: openai/slow, api_base: "http://127.0.0.1:%d/v1", api_key: sk-bench-provider, stream_timeout: 600, timeout: 600}
        """.formatted(upstream.actualPort()));
    ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar", jar,
        "--config", config.toString(), "--port", Integer.toString(port), "--host", "127.0.0.1")
        .redirectErrorStream(true).redirectOutput(Path.of("target/bench-health-gateway.log").toFile());
    pb.environment().put("SEPARATE_HEALTH_APP", "1");
    pb.environment().put("SEPARATE_HEALTH_PORT", Integer.toString(healthPort));
    pb.environment().put("LITELLM_MASTER_KEY", "sk-bench-master");
    Process gateway = pb.start();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try {
      String health = "http://127.0.0.1:" + healthPort;
      waitFor(client, health + "/health/readiness");
      for (int i = 0; i < streams; i++) {
        client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
            .header("authorization", "Bearer sk-bench-master")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"slow\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
            .build(), HttpResponse.BodyHandlers.discarding());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      long backlog = 0;
      while (System.nanoTime() < deadline && (backlog = backlog(client, health)) < streams) {
        Thread.sleep(100);
      }
      System.out.printf("main port holds %d slow streams (backlog %d)%n", streams, backlog);
      measure(client, health + "/health/liveliness", probes / 4); // warm-up (JIT, connections)
      measure(client, "http://127.0.0.1:" + port + "/health/liveliness", probes / 4);
      report("health port /health/liveliness", measure(client, health + "/health/liveliness", probes));
      report("main port   /health/liveliness", measure(client, "http://127.0.0.1:" + port + "/health/liveliness", probes));
    } finally {
      gateway.destroy();
      gateway.waitFor(30, TimeUnit.SECONDS);
      client.shutdownNow();
      vertx.close();
      Files.deleteIfExists(config);
    }
    System.exit(0);
  }

  static long[] measure(HttpClient client, String url, int n) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
    long[] micros = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      client.send(req, HttpResponse.BodyHandlers.discarding());
      micros[i] = (System.nanoTime() - t0) / 1000;
    }
    Arrays.sort(micros);
    return micros;
  }

  static void report(String what, long[] sorted) {
    System.out.printf("%s: n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms%n", what, sorted.length, sorted[sorted.length / 2] / 1000.0,
        sorted[(int) (sorted.length * 0.99)] / 1000.0, sorted[sorted.length - 1] / 1000.0);
  }

  static long backlog(HttpClient client, String health) throws Exception {
    String body = client.send(HttpRequest.newBuilder(URI.create(health + "/health/backlog")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return Long.parseLong(body.replaceAll("[^0-9]", ""));
  }

  static void waitFor(HttpClient client, String url) throws Exception {
    for (int i = 0; i < 300; i++) {
      try {
        if (client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("gateway did not become ready: see target/bench-health-gateway.log");
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
