package dev.tollgate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.FakeOpenAi;
import dev.tollgate.testing.TollgateProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar as operators and container images run it: start-up, config errors, SIGTERM, the health subcommand. */
class GatewayProcessIT {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  /** Keeps the process's environment free of keys the developer may have set. */
  static final Map<String, String> CLEAN_ENV = cleanEnv();

  static Map<String, String> cleanEnv() {
    Map<String, String> env = new HashMap<>();
    for (String k : List.of("LITELLM_MASTER_KEY", "PORT", "HOST", "OPENAI_API_KEY", "TOLLGATE_ALLOW_UNAUTHENTICATED", "DATABASE_URL")) {
      env.put(k, null);
    }
    return env;
  }

  static Map<String, String> env(String... keyValues) {
    Map<String, String> env = new HashMap<>(CLEAN_ENV);
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return env;
  }

  static HttpResponse<String> post(int port, String path, String key, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("authorization", "Bearer " + key).header("content-type", "application/json")
        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static int health(int port) throws Exception {
    try (TollgateProcess health = TollgateProcess.start(CLEAN_ENV, "health", "--port", Integer.toString(port))) {
      return health.awaitExit(Duration.ofSeconds(30));
    }
  }

  @Test
  void quickstartBecomesReadyAndAnswersAndHealthSubcommandSeesIt() throws Exception {
    int port = TollgateProcess.freePort();
    try (TollgateProcess p = TollgateProcess.start(CLEAN_ENV, "--config", "examples/quickstart.yaml", "--port", Integer.toString(port))) {
      long readyMillis = p.awaitReady(port, Duration.ofSeconds(30));
      System.out.println("quickstart ready after " + readyMillis + " ms (process start to first 200 from /health/readiness)");

      HttpResponse<String> r = post(port, "/v1/chat/completions", "sk-1234", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("Hello from Tollgate!");
      assertThat(health(port)).isZero();
    }
    assertThat(health(port)).as("nothing listens any more").isEqualTo(1);
  }

  /** LiteLLM's compose files and scripts pass these: Tollgate starts with them rather than exit 2 on an unknown option. */
  @Test
  void startsWithLiteLlmsUsualCommandLine() throws Exception {
    int port = TollgateProcess.freePort();
    try (TollgateProcess p = TollgateProcess.start(CLEAN_ENV, "--config", "examples/quickstart.yaml", "--port", Integer.toString(port),
        "--num_workers", "4", "--telemetry", "False", "--run_gunicorn", "--drop_params", "--debug")) {
      p.awaitReady(port, Duration.ofSeconds(30));
      assertThat(post(port, "/v1/chat/completions", "sk-1234", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
          .statusCode()).isEqualTo(200);
    }
  }

  @Test
  void startsWithoutConfigAndSaysHowToAddModels() throws Exception {
    int port = TollgateProcess.freePort();
    try (TollgateProcess p = TollgateProcess.start(env("PORT", Integer.toString(port)))) {
      p.awaitReady(port, Duration.ofSeconds(30));
      assertThat(p.awaitOutput("serving 0 model(s)", Duration.ofSeconds(10))).contains("--config").contains("model_list");
      HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(models.statusCode()).as("no master key: refused, not open").isEqualTo(401);
    }
  }

  @Test
  void aConfigErrorExitsOneWithOneClearLine(@TempDir Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("config.yaml"), """
        model_list:
          - model_name: gpt
            litellm_params:
              model: opnai/gpt-4o
        """);
    assertExitsOneSaying(env(), "config error: model_list[0].litellm_params.model: unknown provider \"opnai\" (did you mean \"openai\"?)",
        "--config", config.toString(), "--port", Integer.toString(TollgateProcess.freePort()));
    Path missing = dir.resolve("missing.yaml");
    assertExitsOneSaying(env(), "config error: " + missing + ": config file not found", "--config", missing.toString());
    assertExitsOneSaying(env("PORT", "abc"), "config error: PORT: \"abc\" is not valid (expected a port number, 0-65535)",
        "--config", "examples/quickstart.yaml");
  }

  private static void assertExitsOneSaying(Map<String, String> env, String line, String... args) throws Exception {
    try (TollgateProcess p = TollgateProcess.start(env, args)) {
      assertThat(p.awaitExit(Duration.ofSeconds(30))).as(p.output()).isEqualTo(1);
      String out = p.output();
      List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
      assertThat(lines).as(out).hasSize(1);
      assertThat(lines.get(0)).endsWith(line);
      assertThat(out).doesNotContain("\tat ", "Exception");
    }
  }

  @Test
  void sigtermLetsAStreamInFlightFinishThenExitsZero() throws Exception {
    try (FakeOpenAi upstream = FakeOpenAi.start()) {
      upstream.answer("a slow answer that is still streaming when the gateway is asked to stop")
          .chunkDelay(Duration.ofMillis(150));
      Path config = slowModelConfig(upstream);
      int port = TollgateProcess.freePort();
      try (TollgateProcess p = TollgateProcess.start(env("LITELLM_MASTER_KEY", "sk-it"), "--config", config.toString(), "--port", Integer.toString(port))) {
        p.awaitReady(port, Duration.ofSeconds(30));
        List<String> events = new ArrayList<>();
        try (Stream<String> lines = streamFromSlowModel(port)) {
          Iterator<String> it = lines.filter(l -> l.startsWith("data: ")).iterator();
          events.add(it.next());
          p.terminate();
          p.awaitOutput("shutting down", Duration.ofSeconds(10));
          events.add(it.next());
          // draining: the stream goes on, new connections are refused
          // (the log line comes just before the listener closes: allow it a moment)
          assertThat(refusesConnections(port, Duration.ofSeconds(5))).as("new connections refused while draining").isTrue();
          it.forEachRemaining(events::add);
        }
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(0, events.size() - 1)) {
          text.append(FakeOpenAi.parse(e.substring(6)).path("choices").path(0).path("delta").path("content").asText(""));
        }
        assertThat(text.toString()).isEqualTo("a slow answer that is still streaming when the gateway is asked to stop");
        assertThat(p.awaitExit(Duration.ofSeconds(30))).as(p.output()).isZero();
      } finally {
        Files.deleteIfExists(config);
      }
    }
  }

  @Test
  void aStreamStillRunningAtTheEndOfTheDrainTimeoutEndsWithAnErrorEventNotACut(@TempDir Path journal) throws Exception {
    try (FakeOpenAi upstream = FakeOpenAi.start()) {
      upstream.answer("word ".repeat(200).strip()).chunkDelay(Duration.ofMillis(100)); // 20 s of stream
      Path config = slowModelConfig(upstream);
      int port = TollgateProcess.freePort();
      try (TollgateProcess p = TollgateProcess.start(env("LITELLM_MASTER_KEY", "sk-it", "TOLLGATE_DRAIN_TIMEOUT", "2",
          "TOLLGATE_SPEND_JOURNAL_DIR", journal.toString()), "--config", config.toString(), "--port", Integer.toString(port))) {
        p.awaitReady(port, Duration.ofSeconds(30));
        List<String> events = new ArrayList<>();
        long stopAsked;
        try (Stream<String> lines = streamFromSlowModel(port)) {
          Iterator<String> it = lines.filter(l -> l.startsWith("data: ")).iterator();
          events.add(it.next());
          stopAsked = System.nanoTime();
          p.terminate();
          it.forEachRemaining(events::add);
        }
        Duration streamedAfterStop = Duration.ofNanos(System.nanoTime() - stopAsked);
        assertThat(streamedAfterStop).as("the stream ran on until near the 2 s drain timeout")
            .isBetween(Duration.ofMillis(1_000), Duration.ofMillis(2_500));
        assertThat(events.size()).as("chunks kept coming while draining").isGreaterThan(10);
        String last = events.get(events.size() - 1);
        assertThat(last).as("the last event explains the end").startsWith("data: {\"error\"").contains("shutting down");
        assertThat(FakeOpenAi.parse(last.substring(6)).path("error").path("code").asText()).isEqualTo("503");
        assertThat(p.awaitExit(Duration.ofSeconds(30))).as(p.output()).isZero();
        assertThat(p.output()).contains("ended 1 stream(s) still running");
        assertNothingLeftIn(journal);
      } finally {
        Files.deleteIfExists(config);
      }
    }
  }

  @Test
  void aStreamWhoseUpstreamAnswersAfterTheDrainCutEndsWithAnErrorNotACut(@TempDir Path journal) throws Exception {
    try (FakeOpenAi upstream = FakeOpenAi.start()) {
      // a 4 s drain ends running streams at 3 s; this upstream answers at 3.5 s and would stream for 20 s
      upstream.answer("word ".repeat(200).strip()).headersDelay(Duration.ofMillis(3_500)).chunkDelay(Duration.ofMillis(100));
      Path config = slowModelConfig(upstream);
      int port = TollgateProcess.freePort();
      try (TollgateProcess p = TollgateProcess.start(env("LITELLM_MASTER_KEY", "sk-it", "TOLLGATE_DRAIN_TIMEOUT", "4",
          "TOLLGATE_SPEND_JOURNAL_DIR", journal.toString()), "--config", config.toString(), "--port", Integer.toString(port))) {
        p.awaitReady(port, Duration.ofSeconds(30));
        var reply = HTTP.sendAsync(slowModelStreamRequest(port), HttpResponse.BodyHandlers.ofString());
        assertThat(upstream.awaitRequests(1, Duration.ofSeconds(10))).as("the upstream has the request").isTrue();
        assertThat(upstream.requestCount()).isEqualTo(1);
        p.terminate();
        String body;
        try {
          body = reply.get(30, TimeUnit.SECONDS).body();
        } catch (ExecutionException e) {
          throw new AssertionError("no answer: " + e.getCause() + "\n" + p.output(), e);
        }
        assertThat(body).as("the client is told why its stream ended").contains("shutting down");
        assertThat(upstream.requestCount()).as("a stopping gateway does not retry").isEqualTo(1);
        assertThat(p.awaitExit(Duration.ofSeconds(30))).as(p.output()).isZero();
        assertNothingLeftIn(journal);
      } finally {
        Files.deleteIfExists(config);
      }
    }
  }

  private static void assertNothingLeftIn(Path journal) throws java.io.IOException {
    try (Stream<Path> left = Files.list(journal)) {
      assertThat(left.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".jsonl")))
          .as("the call's spend row is in the database, not left in the journal").isEmpty();
    }
  }

  private static Path slowModelConfig(FakeOpenAi upstream) throws java.io.IOException {
    Path config = Files.createTempFile("tollgate-it", ".yaml");
    Files.writeString(config, """
        model_list:
          - model_name: slow
            litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-up}
        """.formatted(upstream.apiBase()));
    return config;
  }

  /** The lines of a streamed chat completion from the model named "slow". */
  private static Stream<String> streamFromSlowModel(int port) throws Exception {
    HttpResponse<Stream<String>> r = HTTP.send(slowModelStreamRequest(port), HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  private static HttpRequest slowModelStreamRequest(int port) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
        .header("authorization", "Bearer sk-it").header("content-type", "application/json").timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"slow\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
  }

  private static boolean refusesConnections(int port, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", port)) {
        Thread.sleep(50);
      } catch (java.io.IOException refused) {
        return true;
      }
    }
    return false;
  }
}
