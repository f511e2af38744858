package dev.tollgate.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar tollgate.jar ...} as a real process, started with the JDK that runs the tests;
 * the jar comes from the system property {@code tollgate.jar} (set by failsafe). Output goes to a
 * file; {@link #close()} kills the process if it is still running.
 */
public final class TollgateProcess implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final Path output;
  private final long startNanos;
  private int port = -1;

  private TollgateProcess(Process process, Path output, long startNanos) {
    this.process = process;
    this.output = output;
    this.startNanos = startNanos;
  }

  /**
   * A gateway serving {@code config} on a free loopback port, ready (30 s at most); the master key
   * is {@link TestGateway#MASTER_KEY} unless {@code env} sets one.
   */
  public static TollgateProcess serve(Path config, Map<String, String> env) throws IOException, InterruptedException {
    int port = freePort();
    Map<String, String> vars = new java.util.HashMap<>(env);
    vars.putIfAbsent("LITELLM_MASTER_KEY", TestGateway.MASTER_KEY);
    TollgateProcess p = start(vars, "--config", config.toString(), "--port", Integer.toString(port), "--host", "127.0.0.1");
    p.port = port;
    try {
      p.awaitReady(port, Duration.ofSeconds(30));
    } catch (AssertionError e) {
      p.process.destroyForcibly();
      throw e;
    }
    return p;
  }

  /** {@code http://127.0.0.1:PORT} of a gateway started by {@link #serve}. */
  public String url() {
    if (port < 0) {
      throw new IllegalStateException("not started by serve()");
    }
    return "http://127.0.0.1:" + port;
  }

  /** {@code kill -9}: no shutdown, nothing flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** Starts the jar with these arguments; {@code env} entries with a null value are removed from the inherited environment. */
  public static TollgateProcess start(Map<String, String> env, String... args) throws IOException {
    String jar = System.getProperty("tollgate.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new AssertionError("system property tollgate.jar must name the built jar (run through failsafe), got " + jar);
    }
    List<String> command = new ArrayList<>(List.of(javaCommand(), "-jar", jar));
    command.addAll(List.of(args));
    Path output = Files.createTempFile("tollgate-process", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    // the SQLite file and the spend journal default to the working directory: never the checkout's
    if (pb.environment().get("DATABASE_URL") == null && !pb.environment().containsKey("TOLLGATE_DB_PATH")) {
      Path data = Files.createTempDirectory("tollgate-process-data");
      pb.environment().put("TOLLGATE_DB_PATH", data.resolve("tollgate.db").toString());
      pb.environment().putIfAbsent("TOLLGATE_SPEND_JOURNAL_DIR", data.resolve("journal").toString());
    }
    long t0 = System.nanoTime();
    return new TollgateProcess(pb.start(), output, t0);
  }

  /** The java launcher of the JVM that runs this test. */
  public static String javaCommand() {
    return ProcessHandle.current().info().command().orElseThrow(() -> new AssertionError("cannot tell which java runs the tests"));
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Polls {@code /health/readiness} until it answers 200; returns the milliseconds since the process started. */
  public long awaitReady(int port, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    HttpRequest readiness = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/readiness"))
        .timeout(Duration.ofSeconds(2)).build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("tollgate exited with " + process.exitValue() + " before it was ready:\n" + output());
      }
      try {
        if (HTTP.send(readiness, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return (System.nanoTime() - startNanos) / 1_000_000;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(10);
    }
    throw new AssertionError("tollgate was not ready within " + within + ":\n" + output());
  }

  /** Waits until the output contains {@code text} (log lines may trail readiness a little). */
  public String awaitOutput(String text, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!output().contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no \"" + text + "\" in the output within " + within + ":\n" + output());
      }
      Thread.sleep(20);
    }
    return output();
  }

  /** Waits for the process to exit and returns its exit code. */
  public int awaitExit(Duration within) throws InterruptedException {
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("tollgate did not exit within " + within + ":\n" + output());
    }
    return process.exitValue();
  }

  /** SIGTERM. */
  public void terminate() {
    process.destroy();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String output() {
    try {
      return Files.readString(output);
    } catch (IOException e) {
      return "(output unreadable: " + e + ")";
    }
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(output);
  }
}
