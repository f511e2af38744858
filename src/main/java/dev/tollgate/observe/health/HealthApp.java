package dev.tollgate.observe.health;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.server.HealthHandler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code SEPARATE_HEALTH_APP=1}: liveness, readiness and backlog on their own port, served by a
 * Vert.x instance of their own (one event loop and its own acceptor thread), so they answer while
 * the main event loops are saturated or stuck. LiteLLM needs a supervisor to run a second
 * process for this; here a second event loop in the same process is enough: it shares nothing
 * with the main server but the heap, and if the process dies both ports go, which is what a
 * liveness probe should see.
 */
public final class HealthApp implements AutoCloseable {
  private final Vertx vertx;
  private final HttpServer server;

  private HealthApp(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  public static HealthApp start(String host, int port, Supplier<ObjectNode> readinessDetails, LongSupplier inFlight) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    Router web = Router.router(vertx);
    web.get("/health/liveliness").handler(HealthHandler::liveness);
    web.get("/health/liveness").handler(HealthHandler::liveness);
    web.get("/health/readiness").handler(rc -> HealthHandler.readiness(rc, readinessDetails));
    web.get("/health/backlog").handler(rc -> backlog(rc, inFlight));
    try {
      HttpServer server = vertx.createHttpServer().requestHandler(web).listen(port, host)
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new HealthApp(vertx, server);
    } catch (Exception e) {
      vertx.close();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new dev.tollgate.config.ConfigException("SEPARATE_HEALTH_PORT: cannot listen on " + host + ":" + port + ": "
          + cause.getMessage());
    }
  }

  /** LiteLLM's {@code /health/backlog}: the HTTP requests in flight on the main server. */
  public static void backlog(RoutingContext rc, LongSupplier inFlight) {
    rc.response().putHeader("content-type", "application/json")
        .end("{\"in_flight_requests\":" + inFlight.getAsLong() + "}");
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
