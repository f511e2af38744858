package dev.tollgate.testing;

import dev.tollgate.Gateway;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A real gateway started in this JVM on a free port from a YAML string; closed after the test. */
public final class TestGateway implements AutoCloseable {
  public static final String MASTER_KEY = "sk-test-master-key";
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Gateway gateway;
  private final java.nio.file.Path tempDir;

  private TestGateway(Gateway gateway, java.nio.file.Path tempDir) {
    this.gateway = gateway;
    this.tempDir = tempDir;
  }

  /** Starts with the YAML as config.yaml; the master key is {@link #MASTER_KEY} unless the YAML sets one. */
  public static TestGateway start(String yaml) {
    return start(yaml, Map.of());
  }

  public static TestGateway start(String yaml, Map<String, String> env) {
    Map<String, String> vars = new HashMap<>(env);
    vars.putIfAbsent("LITELLM_MASTER_KEY", MASTER_KEY);
    java.nio.file.Path dir = null;
    if (!vars.containsKey("DATABASE_URL") && !vars.containsKey("TOLLGATE_DB_PATH")) {
      // a database and spend journal of its own, not ./tollgate.db of the working directory
      try {
        dir = java.nio.file.Files.createTempDirectory("tollgate-test");
        vars.put("TOLLGATE_DB_PATH", dir.resolve("tollgate.db").toString());
        vars.putIfAbsent("TOLLGATE_SPEND_JOURNAL_DIR", dir.resolve("journal").toString());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }
    GatewayConfig config = ConfigLoader.fromYaml(yaml, "test config", new Environment(vars));
    return new TestGateway(Gateway.start(config, "127.0.0.1", 0, false), dir);
  }

  public int port() {
    return gateway.port();
  }

  /** {@code http://127.0.0.1:PORT} */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  public Gateway gateway() {
    return gateway;
  }

  public HttpResponse<String> post(String path, String json) {
    return post(path, json, MASTER_KEY);
  }

  public HttpResponse<String> post(String path, String json, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
        .timeout(Duration.ofSeconds(30))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    if (key != null) {
      b.header("authorization", "Bearer " + key);
    }
    return send(b.build());
  }

  public HttpResponse<String> get(String path) {
    return get(path, MASTER_KEY);
  }

  public HttpResponse<String> get(String path, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30)).GET();
    if (key != null) {
      b.header("authorization", "Bearer " + key);
    }
    return send(b.build());
  }

  /** Like {@link #send} but null when the server does not answer (e.g. still starting). */
  public static HttpResponse<String> send0(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  public static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError("request to " + request.uri() + " failed: " + e, e);
    }
  }

  @Override
  public void close() {
    gateway.stop(Duration.ofSeconds(2));
    if (tempDir != null) {
      try (var files = java.nio.file.Files.walk(tempDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (java.io.IOException ignored) {
        // a temporary folder left behind is harmless
      }
    }
  }
}
