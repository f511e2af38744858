package dev.tollgate.observe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.RefusedRequests;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.observe.health.BackgroundHealthChecks;
import dev.tollgate.observe.health.HealthApp;
import dev.tollgate.observe.metrics.GatewayMetrics;
import dev.tollgate.observe.metrics.HttpServerMetrics;
import dev.tollgate.observe.logs.DetailedDebugInterceptor;
import dev.tollgate.observe.logs.GatewayEncoder;
import dev.tollgate.observe.logs.Secrets;
import dev.tollgate.observe.metrics.MetricsInterceptor;
import dev.tollgate.observe.tracing.Tracing;
import dev.tollgate.observe.tracing.TracingInterceptor;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.server.GatewayVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Metrics, traces, logs and health for one gateway: what {@code Gateway.start} wires in, in the
 * order it needs it. Everything that is off costs nothing on the request path.
 */
public final class Observability implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Observability.class);

  private final ObserveSettings settings;
  private final Supplier<List<Deployment>> deployments;
  private final HttpServerMetrics httpMetrics = new HttpServerMetrics();
  private final GatewayMetrics metrics;
  private final List<Interceptor> interceptors = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private volatile BackgroundHealthChecks backgroundChecks;
  private HealthApp healthApp;

  private Observability(ObserveSettings settings, Supplier<List<Deployment>> deployments, GatewayConfig config) {
    this.settings = settings;
    this.deployments = deployments;
    GatewayEncoder.useJson(settings.jsonLogs());
    config.generalSettings().optString("master_key").or(() -> config.env().get("LITELLM_MASTER_KEY")).ifPresent(Secrets::register);
    deployments.get().forEach(d -> Secrets.register(d.apiKey()));
    if (settings.prometheus()) {
      metrics = new GatewayMetrics(settings, deployments.get(), httpMetrics::inFlight);
      httpMetrics.registerInto(metrics.registry());
      MetricsInterceptor mi = new MetricsInterceptor(metrics);
      interceptors.add(mi);
      closeables.add(UpstreamHttp.addObserver(mi));
    } else {
      metrics = null;
    }
    if (settings.otel()) {
      Tracing tracing = Tracing.fromEnvironment(config.env());
      closeables.add(tracing);
      TracingInterceptor ti = new TracingInterceptor(tracing.tracer(), settings.turnOffMessageLogging());
      interceptors.add(ti);
      closeables.add(UpstreamHttp.addObserver(ti));
    }
    if (settings.detailedDebug()) {
      interceptors.add(new DetailedDebugInterceptor(settings.turnOffMessageLogging()));
    }
  }

  /**
   * Reads the settings; throws ConfigException with the YAML path when one is wrong. The
   * deployments are read again by each background health check round (they change at run time).
   */
  public static Observability create(GatewayConfig config, Supplier<List<Deployment>> deployments, boolean detailedDebug) {
    return new Observability(ObserveSettings.from(config, detailedDebug), deployments, config);
  }

  public ObserveSettings settings() {
    return settings;
  }

  /** {@code litellm_settings.turn_off_message_logging}: no prompt or completion in logs, traces or spend rows. */
  public boolean messageLoggingOff() {
    return settings.turnOffMessageLogging();
  }

  /** Where other parts report cache hits, cool-downs and budgets; no-op when Prometheus is off. */
  public ObservedEvents events() {
    return metrics == null ? ObservedEvents.NONE : metrics;
  }

  /** Where the server reports requests refused before they became a call; no-op when Prometheus is off. */
  public RefusedRequests refusals() {
    return metrics == null ? RefusedRequests.NONE : metrics;
  }

  /** The interceptors to put first in the chain (they must see every call, refused ones too). */
  public List<Interceptor> interceptors() {
    return List.copyOf(interceptors);
  }

  /** The HTTP requests in flight on the main server. */
  public long inFlight() {
    return httpMetrics.inFlight();
  }

  /** {@code /metrics} (when Prometheus is on), {@code /health/backlog}, and {@code /health} from the background checks. */
  public GatewayVerticle.RouteContributor routes() {
    return (web, support) -> {
      web.route().order(-100).handler(httpMetrics::handle); // before every other route
      web.get("/health/backlog").handler(rc -> HealthApp.backlog(rc, this::inFlight));
      if (metrics != null) {
        var route = web.get("/metrics");
        if (settings.requireAuthForMetrics()) {
          route.handler(support.authenticated());
        }
        route.handler(this::scrape);
      }
      if (settings.backgroundHealthChecks()) {
        // ahead of the /health that calls every deployment on each request
        web.get("/health").order(-1).handler(support.adminOnly()).handler(rc -> backgroundChecks.serve(rc));
      }
    };
  }

  private void scrape(RoutingContext rc) {
    rc.vertx().executeBlocking(() -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
      metrics.scrape(out);
      return Buffer.buffer(out.toByteArray());
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("metrics scrape failed: {}", ar.cause().toString());
        rc.fail(500);
      } else {
        rc.response().putHeader("content-type", GatewayMetrics.contentType()).end(ar.result());
      }
    });
  }

  /** After the main server listens: the separate health app and the background health checks. */
  public void started(Vertx vertx, String host, Supplier<ObjectNode> readinessDetails, HttpClientOptions upstreamOptions) {
    if (settings.backgroundHealthChecks()) {
      backgroundChecks = BackgroundHealthChecks.start(vertx, deployments, settings.healthCheckInterval(), upstreamOptions,
          (d, state) -> {
            if (metrics != null) {
              metrics.deploymentState(d, state);
            }
          });
      closeables.add(backgroundChecks);
    }
    if (settings.separateHealthApp()) {
      healthApp = HealthApp.start(host, settings.healthPort(), readinessDetails, this::inFlight);
      closeables.add(healthApp);
      log.info("health app on http://{}:{} (/health/liveliness, /health/readiness, /health/backlog)", host, healthApp.port());
    }
  }

  /** The separate health app's port (when SEPARATE_HEALTH_APP is set), else -1. */
  public int healthPort() {
    return healthApp == null ? -1 : healthApp.port();
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn("closing {} failed: {}", closeables.get(i), e.toString());
      }
    }
  }
}
