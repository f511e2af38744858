package dev.tollgate.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code java -jar tollgate.jar} as a separate process on a free port, for tests that kill it or run several. */
public final class GatewayProcess implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path log;

  private GatewayProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts the jar with a config file and extra environment; waits until it is ready (30 s at most). */
  public static GatewayProcess start(Path config, Map<String, String> env) {
    String jar = System.getProperty("tollgate.jar", "target/tollgate.jar");
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Path log = Files.createTempFile("tollgate-process", ".log");
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", jar, "--config", config.toString(), "--port", Integer.toString(port), "--host", "127.0.0.1"));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("LITELLM_MASTER_KEY", TestGateway.MASTER_KEY);
      pb.environment().putAll(env);
      GatewayProcess g = new GatewayProcess(pb.start(), port, log);
      g.awaitReady();
      return g;
    } catch (IOException e) {
      throw new AssertionError("could not start " + jar + ": " + e, e);
    }
  }

  private void awaitReady() {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the gateway exited with " + process.exitValue() + ":\n" + output());
      }
      try {
        HttpResponse<String> r = TestGateway.send0(HttpRequest.newBuilder(URI.create(url() + "/health/readiness"))
            .timeout(Duration.ofSeconds(2)).build());
        if (r != null && r.statusCode() == 200) {
          return;
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    close();
    throw new AssertionError("the gateway did not become ready:\n" + output());
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** {@code kill -9}: no shutdown hook, nothing flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
