package dev.tollgate.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

/** A real {@code redis-server} on a free port, for one test; stopped on close. */
public final class TestRedis implements AutoCloseable {
  private final Process process;
  private final int port;

  private TestRedis(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static TestRedis start() {
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Process p = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
          "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      long deadline = System.currentTimeMillis() + 10_000;
      while (System.currentTimeMillis() < deadline) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
          return new TestRedis(p, port);
        } catch (IOException e) {
          Thread.sleep(50);
        }
      }
      p.destroyForcibly();
      throw new AssertionError("redis-server did not start (apt-get install redis-server)");
    } catch (IOException e) {
      throw new AssertionError("redis-server could not be started (apt-get install redis-server): " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:PORT} */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
