package dev.tollgate.observe.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderRegistry;
import dev.tollgate.server.HealthHandler;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code general_settings.background_health_checks}: calls every deployment each
 * {@code health_check_interval} seconds (LiteLLM's default: 300), keeps the last result for
 * {@code /health}, and reports each deployment's state (0 healthy, 2 complete outage).
 */
public final class BackgroundHealthChecks implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BackgroundHealthChecks.class);

  private final Vertx vertx;
  private final HttpClient http;
  private final long timer;
  private volatile ObjectNode last;

  private BackgroundHealthChecks(Vertx vertx, Supplier<List<Deployment>> deployments, Duration interval,
      HttpClientOptions clientOptions, BiConsumer<Deployment, Integer> state) {
    this.vertx = vertx;
    Context context = vertx.getOrCreateContext();
    this.http = vertx.createHttpClient(clientOptions);
    ProviderRegistry providers = new ProviderRegistry(new ProviderContext(vertx, http));
    Runnable round = () -> round(providers, deployments.get(), state);
    context.runOnContext(v -> round.run());
    this.timer = vertx.setPeriodic(Math.max(1, interval.toMillis()), id -> context.runOnContext(v -> round.run()));
  }

  private void round(ProviderRegistry providers, List<Deployment> deployments, BiConsumer<Deployment, Integer> state) {
    Map<String, Deployment> byId = deployments.stream().collect(Collectors.toMap(Deployment::id, d -> d, (a, b) -> a));
    HealthHandler.checkAll(providers, deployments).onSuccess(body -> {
      last = body;
      report(body.path("healthy_endpoints"), byId, state, 0);
      report(body.path("unhealthy_endpoints"), byId, state, 2);
      if (body.path("unhealthy_count").asInt() > 0) {
        log.warn("background health check: {} of {} deployment(s) unhealthy", body.path("unhealthy_count").asInt(), deployments.size());
      }
    });
  }

  /** {@code deployments} is read at every round: the router's set changes at run time. */
  public static BackgroundHealthChecks start(Vertx vertx, Supplier<List<Deployment>> deployments, Duration interval,
      HttpClientOptions clientOptions, BiConsumer<Deployment, Integer> state) {
    return new BackgroundHealthChecks(vertx, deployments, interval, clientOptions, state);
  }

  private static void report(JsonNode entries, Map<String, Deployment> byId, BiConsumer<Deployment, Integer> state, int value) {
    for (JsonNode e : entries) {
      Deployment d = byId.get(e.path("model_id").asText());
      if (d != null) {
        state.accept(d, value);
      }
    }
  }

  /** The latest result, or null before the first round finished. */
  public ObjectNode lastResult() {
    ObjectNode body = last;
    return body == null ? null : body.deepCopy();
  }

  /** {@code /health} from the cache: the last background result, or a note that none is there yet. */
  public void serve(io.vertx.ext.web.RoutingContext rc) {
    ObjectNode body = lastResult();
    if (body == null) {
      body = Json.object().put("status", "background health check has not finished its first round yet");
      body.putArray("healthy_endpoints");
      body.putArray("unhealthy_endpoints");
    }
    rc.response().putHeader("content-type", "application/json").end(Json.buffer(body));
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
    http.close();
  }
}
