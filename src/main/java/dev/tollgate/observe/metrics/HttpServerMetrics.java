package dev.tollgate.observe.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.LongAdder;

/**
 * The first handler of every request on the main server: always counts the requests in flight
 * (for {@code /health/backlog} and {@code litellm_in_flight_requests}: one add per request); with
 * Prometheus on, also the HTTP server metrics, labelled by route template (never by raw path,
 * whose values are unbounded).
 */
public final class HttpServerMetrics {
  private final LongAdder inFlight = new LongAdder();
  private volatile Instruments instruments;

  private record Instruments(Counter requests, Histogram duration) {}

  public long inFlight() {
    return inFlight.sum();
  }

  /** Starts recording requests per route, method and status into {@code registry}. */
  public void registerInto(PrometheusRegistry registry) {
    instruments = new Instruments(
        Counter.builder().name("http_server_requests").help("HTTP requests served, by route template, method and status")
            .labelNames("method", "route", "status").withoutExemplars().register(registry),
        Histogram.builder().name("http_server_request_duration_seconds").help("Time from request start to response end")
            .labelNames("method", "route").classicOnly().classicUpperBounds(GatewayMetrics.LATENCY_BUCKETS).withoutExemplars()
            .register(registry));
  }

  public void handle(RoutingContext rc) {
    long start = System.nanoTime();
    inFlight.increment();
    rc.addEndHandler(ar -> {
      inFlight.decrement();
      Instruments i = instruments;
      if (i != null) {
        Route route = rc.currentRoute();
        String template = route == null || route.getPath() == null ? "unmatched" : route.getPath();
        String method = rc.request().method().name();
        String status = ar.succeeded() ? Integer.toString(rc.response().getStatusCode()) : "reset";
        i.requests().labelValues(method, template, status).inc();
        i.duration().labelValues(method, template).observe((System.nanoTime() - start) / 1e9);
      }
    });
    rc.next();
  }
}
