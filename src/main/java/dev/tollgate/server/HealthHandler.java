package dev.tollgate.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.Version;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Cancellation;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.ProviderRegistry;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.router.Router;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Liveness, readiness and the authenticated {@code /health} that calls every deployment. */
public final class HealthHandler {
  private static final Buffer ALIVE = Buffer.buffer("\"I'm alive!\"");
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

  private final Router router;
  private final ProviderRegistry providers;
  private final Supplier<ObjectNode> readinessDetails;

  HealthHandler(Router router, ProviderRegistry providers, Supplier<ObjectNode> readinessDetails) {
    this.router = router;
    this.providers = providers;
    this.readinessDetails = readinessDetails;
  }

  public static void liveness(RoutingContext rc) {
    rc.response().putHeader("content-type", "application/json").end(ALIVE);
  }

  void readiness(RoutingContext rc) {
    readiness(rc, readinessDetails);
  }

  /** {@code /health/readiness}; also served by the separate health app. */
  public static void readiness(RoutingContext rc, Supplier<ObjectNode> readinessDetails) {
    ObjectNode body = Json.object().put("status", "healthy");
    body.setAll(readinessDetails.get());
    body.put("litellm_version", Version.VERSION).put("tollgate_version", Version.VERSION)
        .put("last_updated", Instant.now().toString());
    rc.response().putHeader("content-type", "application/json").end(Json.buffer(body));
  }

  /** Calls each deployment (of {@code ?model=} if given) with a one-token request. */
  void health(RoutingContext rc) {
    String only = rc.request().getParam("model");
    List<Deployment> targets = router.deployments().stream()
        .filter(d -> only == null || d.modelName().equals(only) || d.litellmModel().equals(only)).toList();
    checkAll(providers, targets).onComplete(ar ->
        rc.response().putHeader("content-type", "application/json").end(Json.buffer(ar.result())));
  }

  /**
   * Calls each deployment once and answers LiteLLM's {@code /health} body: {@code healthy_endpoints},
   * {@code unhealthy_endpoints} (entries with an {@code error}) and their counts. Never fails.
   */
  public static Future<ObjectNode> checkAll(ProviderRegistry providers, List<Deployment> targets) {
    List<Future<ObjectNode>> checks = new ArrayList<>();
    for (Deployment d : targets) {
      checks.add(check(providers, d));
    }
    return Future.join(checks).transform(ar -> {
      ObjectNode body = Json.object();
      ArrayNode healthy = body.putArray("healthy_endpoints");
      ArrayNode unhealthy = body.putArray("unhealthy_endpoints");
      for (Future<ObjectNode> f : checks) {
        ObjectNode r = f.result();
        (r.has("error") ? unhealthy : healthy).add(r);
      }
      body.put("healthy_count", healthy.size()).put("unhealthy_count", unhealthy.size());
      return Future.succeededFuture(body);
    });
  }

  private static Future<ObjectNode> check(ProviderRegistry providers, Deployment d) {
    ObjectNode request = Json.object().put("model", d.modelName());
    boolean embedding = "embedding".equals(d.modelInfo().path("mode").asText());
    if (embedding) {
      request.put("input", "ping");
    } else {
      request.putArray("messages").addObject().put("role", "user").put("content", "ping");
      request.put("max_tokens", 1);
    }
    Duration timeout = d.timeout().compareTo(CHECK_TIMEOUT) < 0 ? d.timeout() : CHECK_TIMEOUT;
    UpstreamCall call = new UpstreamCall(embedding ? Endpoint.EMBEDDINGS : Endpoint.CHAT, d, request, false, timeout, timeout,
        true, new Cancellation());
    ObjectNode entry = Json.object().put("model", d.litellmModel()).put("model_name", d.modelName()).put("model_id", d.id());
    if (d.apiBase() != null) {
      entry.put("api_base", d.shownApiBase());
    }
    return providers.forCall(d, false).send(call).transform(ar -> {
      if (ar.failed()) {
        entry.put("error", ar.cause().getMessage());
      } else if (ar.result() instanceof ProviderReply.Streaming s) {
        s.chunks().cancel();
      }
      return Future.succeededFuture(entry);
    });
  }
}
