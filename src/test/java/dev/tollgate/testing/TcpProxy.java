package dev.tollgate.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP forwarder on a free loopback port, to make a real service (PostgreSQL, Redis)
 * unreachable and reachable again without stopping it: {@link #cut()} closes the port and every
 * connection, {@link #restore()} listens on the same port again.
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final String targetHost;
  private final int targetPort;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private NetServer server;
  private int port;

  private TcpProxy(String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  public static TcpProxy start(String targetHost, int targetPort) {
    TcpProxy p = new TcpProxy(targetHost, targetPort);
    p.listen(0);
    return p;
  }

  private void listen(int onPort) {
    server = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      sockets.add(in);
      vertx.createNetClient().connect(targetPort, targetHost).onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        sockets.add(out);
        in.handler(out::write);
        out.handler(in::write);
        in.closeHandler(v -> out.close());
        out.closeHandler(v -> in.close());
        in.resume();
      });
    });
    port = await(server.listen(onPort, "127.0.0.1")).actualPort();
  }

  public int port() {
    return port;
  }

  /** The service is gone: no new connections, open ones dropped. */
  public void cut() {
    await(server.close());
    sockets.forEach(NetSocket::close);
    sockets.clear();
  }

  public void restore() {
    listen(port);
  }

  private static <T> T await(io.vertx.core.Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("tcp proxy: " + e, e);
    }
  }

  @Override
  public void close() {
    await(vertx.close());
  }
}
