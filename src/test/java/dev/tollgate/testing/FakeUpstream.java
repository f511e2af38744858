package dev.tollgate.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A fake provider server on a free loopback port: tests register handlers per path that speak
 * the provider's wire format, and every request it received is recorded for assertions.
 */
public final class FakeUpstream implements AutoCloseable {
  /** A request as the upstream saw it. */
  public record Recorded(String method, String path, String query, MultiMap headers, Buffer body) {
    public String bodyString() {
      return body == null ? "" : body.toString();
    }

    public JsonNode json() {
      try {
        return JSON.readTree(bodyString());
      } catch (JsonProcessingException e) {
        throw new AssertionError("the request body is not JSON: " + bodyString(), e);
      }
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final Router router;
  private final HttpServer server;
  private final List<Recorded> received = new CopyOnWriteArrayList<>();

  private FakeUpstream(Vertx vertx, Router router, HttpServer server) {
    this.vertx = vertx;
    this.router = router;
    this.server = server;
  }

  public static FakeUpstream start() {
    Vertx vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    FakeUpstream[] self = new FakeUpstream[1];
    router.route().handler(BodyHandler.create(false));
    router.route().handler(rc -> {
      self[0].received.add(new Recorded(rc.request().method().name(), rc.request().path(), rc.request().query(),
          MultiMap.caseInsensitiveMultiMap().addAll(rc.request().headers()), rc.body().buffer()));
      rc.next();
    });
    try {
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      self[0] = new FakeUpstream(vertx, router, server);
      return self[0];
    } catch (Exception e) {
      vertx.close();
      throw new AssertionError("fake upstream did not start", e);
    }
  }

  /** Registers a handler for POST requests to {@code path} (exact path, e.g. {@code /v1/chat/completions}). */
  public FakeUpstream onPost(String path, Handler<RoutingContext> handler) {
    router.post(path).handler(handler);
    return this;
  }

  /** A handler that may throw; a failure answers 500 with the exception, so a test sees it instead of a hang. */
  public interface CheckedHandler {
    void handle(RoutingContext rc) throws Exception;
  }

  public static Handler<RoutingContext> checked(CheckedHandler h) {
    return rc -> {
      try {
        h.handle(rc);
      } catch (Exception e) {
        rc.response().setStatusCode(500).end("fake upstream failed: " + e);
      }
    };
  }

  /** Registers a handler for POST requests whose path matches a regex (named groups become path params). */
  public FakeUpstream onPostRegex(String regex, Handler<RoutingContext> handler) {
    router.postWithRegex(regex).handler(handler);
    return this;
  }

  public FakeUpstream onGet(String path, Handler<RoutingContext> handler) {
    router.get(path).handler(handler);
    return this;
  }

  public Vertx vertx() {
    return vertx;
  }

  public int port() {
    return server.actualPort();
  }

  /** {@code http://127.0.0.1:PORT} */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  public List<Recorded> received() {
    return received;
  }

  public Recorded last() {
    if (received.isEmpty()) {
      throw new AssertionError("the fake upstream received no request");
    }
    return received.get(received.size() - 1);
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("fake upstream did not stop", e);
    }
  }
}
