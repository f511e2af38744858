import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Builds the image's AOT cache (JDK 25+, JEP 483/514/515): runs the gateway on the image's own JRE
 * and paths with -XX:AOTCacheOutput, drives the hot paths through it (JSON and streamed chat
 * completions, completions, embeddings against a fake OpenAI upstream served here, the mock
 * model, models, health), then stops it so that the JVM writes the cache of loaded and linked
 * classes and method profiles. At start the gateway then loads those classes ready-made and the
 * JIT compiles the hot methods early: start-up about halves and warm-up is shorter.
 *
 *   java AotTraining.java JAVA JAR CACHE [JVM_OPTION...]
 *
 * On a JDK older than 25 it writes nothing and says so (the image then starts without a cache).
 */
public class AotTraining {
  static final String KEY = "sk-aot-training";
  static final String CHAT = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
      + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\"},\"finish_reason\":\"stop\"}],"
      + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}";
  static final String STREAM = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
      + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}],\"usage\":null}\n\n"
      + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
      + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
      + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],"
      + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\ndata: [DONE]\n\n";
  static final String COMPLETION = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
      + "\"choices\":[{\"index\":0,\"text\":\"Hi\",\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}";
  static final String EMBEDDING = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]}],"
      + "\"model\":\"m\",\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}";

  public static void main(String[] args) throws Exception {
    if (Runtime.version().feature() < 25) {
      System.out.println("aot-training: JDK " + Runtime.version().feature() + " has no AOT cache (25+): none written");
      return;
    }
    String javaBin = args[0];
    String jar = args[1];
    Path cache = Path.of(args[2]);
    Path work = Files.createTempDirectory("aot-training");

    HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ExecutorService upstreamThreads = Executors.newFixedThreadPool(4);
    upstream.setExecutor(upstreamThreads);
    upstream.createContext("/v1/", exchange -> {
      String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String path = exchange.getRequestURI().getPath();
      boolean stream = path.endsWith("/chat/completions") && request.replace(" ", "").contains("\"stream\":true");
      String body = stream ? STREAM : path.endsWith("/embeddings") ? EMBEDDING : path.endsWith("/completions")
          && !path.endsWith("/chat/completions") ? COMPLETION : CHAT;
      exchange.getResponseHeaders().set("content-type", stream ? "text/event-stream" : "application/json");
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    upstream.start();

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = work.resolve("config.yaml");
    Files.writeString(config, """
        model_list:
          - model_name: upstream
            litellm_params: {model: openai/m, api_base: "http://127.0.0.1:%d/v1", api_key: sk-upstream}
          - model_name: mock
            litellm_params: {model: openai/m, mock_response: "Hi there"}
        litellm_settings:
          callbacks: ["prometheus"]
        general_settings:
          master_key: %s
          database_path: %s
          spend_journal_dir: %s
        """.formatted(upstream.getAddress().getPort(), KEY, work.resolve("tollgate.db"), work.resolve("journal")));

    List<String> command = new ArrayList<>(List.of(javaBin, "-XX:AOTCacheOutput=" + cache));
    command.addAll(List.of(args).subList(3, args.length));
    command.addAll(List.of("-jar", jar, "--config", config.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port)));
    Process gateway = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("gateway.log").toFile()).start();
    try {
      String base = "http://127.0.0.1:" + port;
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
      waitReady(http, base, gateway, work);
      int calls = 0;
      long until = System.currentTimeMillis() + Long.getLong("aot.trainMillis", 8_000);
      while (System.currentTimeMillis() < until) {
        for (String model : List.of("upstream", "mock")) {
          post(http, base + "/v1/chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
          post(http, base + "/v1/chat/completions", "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        }
        post(http, base + "/v1/completions", "{\"model\":\"upstream\",\"prompt\":\"hi\"}");
        post(http, base + "/v1/embeddings", "{\"model\":\"upstream\",\"input\":\"hi\"}");
        get(http, base + "/v1/models");
        get(http, base + "/health/readiness");
        calls += 8;
      }
      System.out.println("aot-training: " + calls + " calls through the gateway");
    } finally {
      gateway.destroy(); // SIGTERM: the gateway drains and exits, and the JVM writes the cache
      if (!gateway.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
        gateway.destroyForcibly();
      }
      upstream.stop(0);
      upstreamThreads.shutdownNow();
    }
    if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
      System.err.println(Files.readString(work.resolve("gateway.log")));
      throw new IllegalStateException("aot-training: the JVM did not write " + cache);
    }
    System.out.println("aot-training: wrote " + cache + " (" + Files.size(cache) / (1024 * 1024) + " MB)");
  }

  static void waitReady(HttpClient http, String base, Process gateway, Path work) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (!gateway.isAlive()) {
        throw new IllegalStateException("aot-training: the gateway exited: " + Files.readString(work.resolve("gateway.log")));
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(base + "/health/readiness")).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("aot-training: the gateway did not become ready in 60 s");
  }

  static void post(HttpClient http, String url, String body) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(url)).header("authorization", "Bearer " + KEY)
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() != 200) {
      throw new IllegalStateException("aot-training: " + url + " answered " + res.statusCode() + ": " + res.body());
    }
  }

  static void get(HttpClient http, String url) throws Exception {
    http.send(HttpRequest.newBuilder(URI.create(url)).header("authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.discarding());
  }
}
