package dev.tollgate.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.ProviderRegistry;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.RequestParams;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The last step of the path: pick a deployment of the model group, call it, and on a retryable
 * failure try again (another deployment when the group has one) up to {@code num_retries}.
 */
public final class RoutingInterceptor implements Interceptor {
  private final Router router;
  private final ProviderRegistry providers;
  private final int defaultRetries;

  public RoutingInterceptor(Router router, ProviderRegistry providers, int defaultRetries) {
    this.router = router;
    this.providers = providers;
    this.defaultRetries = defaultRetries;
  }

  @Override
  public Future<ProviderReply> intercept(ProxyCall call, Chain next) {
    List<Deployment> group = router.group(call.modelGroup).orElseThrow();
    return attempt(call, group, new ArrayList<>(1));
  }

  private Future<ProviderReply> attempt(ProxyCall call, List<Deployment> group, List<Deployment> tried) {
    Deployment d = router.pick(group, tried);
    call.deployment = d;
    tried.add(d);
    boolean mock = call.body.has("mock_response");
    boolean dropParams = call.body.path("drop_params").asBoolean(d.dropParams());
    UpstreamCall upstream = new UpstreamCall(call.endpoint, d, bodyFor(call.body, d, mock), call.stream,
        d.timeout(), d.streamTimeout(), dropParams, call.cancellation);
    long start = System.nanoTime();
    return providers.forCall(d, mock).send(upstream).transform(ar -> {
      call.upstreamNanos += System.nanoTime() - start;
      if (ar.succeeded()) {
        return Future.succeededFuture(ar.result());
      }
      Throwable cause = ar.cause();
      int allowed = d.maxRetries().orElse(defaultRetries);
      if (cause instanceof UpstreamException ue && ue.retryable() && call.attemptedRetries < allowed
          && !call.cancellation.isCancelled()) {
        call.attemptedRetries++;
        return attempt(call, group, tried.size() >= group.size() ? new ArrayList<>(1) : tried);
      }
      return Future.failedFuture(cause);
    });
  }

  /**
   * A shallow copy of the request for one attempt: gateway-only fields removed (the mock keeps
   * its {@code mock_response}), the deployment's default parameters filled in.
   */
  private static ObjectNode bodyFor(ObjectNode request, Deployment d, boolean mock) {
    ObjectNode body = Json.object();
    body.setAll(request);
    if (!mock) {
      RequestParams.stripGatewayOnly(body);
    }
    for (Map.Entry<String, JsonNode> e : d.defaultParams().properties()) {
      if (!body.has(e.getKey())) {
        body.set(e.getKey(), e.getValue());
      }
    }
    return body;
  }
}
