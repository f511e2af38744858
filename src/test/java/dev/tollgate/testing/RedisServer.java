package dev.tollgate.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A throw-away {@code redis-server} on a free port, without persistence; stop() kills it (restart() brings it back). */
public final class RedisServer implements AutoCloseable {
  private final int port;
  private final Path dir;
  private Process process;

  private RedisServer(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  public static RedisServer start() {
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      RedisServer r = new RedisServer(port, Files.createTempDirectory("tollgate-redis"));
      r.restart();
      return r;
    } catch (IOException e) {
      throw new AssertionError("cannot start redis-server (apt-get install redis-server)", e);
    }
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:PORT} */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts (again) on the same port and waits until it accepts connections. */
  public void restart() {
    try {
      process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
          return;
        } catch (IOException notYet) {
          Thread.sleep(20);
        }
      }
      throw new AssertionError("redis-server did not start on port " + port);
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("cannot start redis-server", e);
    }
  }

  /** Kills the server (as a crash would). */
  public void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  @Override
  public void close() {
    stop();
  }
}
