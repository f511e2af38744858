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
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * The last step of the path: choose a deployment of the model group, call it, retry (each retry
 * may land on another deployment) up to the retries allowed for that kind of error, then try the
 * fallback groups in order. A stream is retried only before its first chunk: the provider's
 * future completes with the first chunk, and a later failure belongs to the stream, not to us.
 */
public final class RoutingInterceptor implements Interceptor {
  private static final long INITIAL_RETRY_DELAY_MS = 500;
  private static final long MAX_RETRY_DELAY_MS = 8_000;
  private static final Duration MAX_HONOURED_RETRY_AFTER = Duration.ofSeconds(60);

  private final Router router;
  private final ProviderRegistry providers;
  private final RouterSettings settings;

  public RoutingInterceptor(Router router, ProviderRegistry providers) {
    this.router = router;
    this.providers = providers;
    this.settings = router.settings();
  }

  @Override
  public Future<ProviderReply> intercept(ProxyCall call, Chain next) {
    return new Run(call).start();
  }

  /** One request's way through groups, attempts and fallbacks. Confined to the request's event loop. */
  private final class Run {
    private final ProxyCall call;
    private final CallOptions options;
    private final Router.Ask ask;
    private String resolvedGroup;
    /** The body sent upstream: the request's, or a copy with what its fallback entry changes. */
    private ObjectNode body;

    Run(ProxyCall call) {
      this.call = call;
      this.options = CallOptions.of(call);
      this.body = call.body;
      boolean needTokens = settings.preCallChecks() || settings.enforceModelRateLimits() || settings.strategy() == Strategy.USAGE_BASED;
      this.ask = new Router.Ask(needTokens ? TokenEstimate.ofRequest(call.body) : 0, options.tags());
    }

    Future<ProviderReply> start() {
      return group(call.modelGroup, true).recover(error -> {
        List<String> fallbacks = fallbacksFor(error);
        return fallBack(error, fallbacks, 0).recover(last -> Future.failedFuture(naming(last, fallbacks)));
      });
    }

    /** LiteLLM's ending of a routed call's last error, which clients and log searches read. */
    private Throwable naming(Throwable error, List<String> fallbacks) {
      if (!(error instanceof UpstreamException ue)) {
        return error;
      }
      String tried = fallbacks.isEmpty() ? "None" : fallbacks.stream().map(f -> "'" + f + "'").collect(Collectors.joining(", ", "[", "]"));
      return ue.withMessageEnding("\nReceived Model Group=" + call.modelGroup + "\nAvailable Model Group Fallbacks=" + tried);
    }

    private Future<ProviderReply> fallBack(Throwable error, List<String> chain, int index) {
      if (index >= chain.size() || index >= settings.maxFallbacks() || call.cancellation.isCancelled()) {
        return Future.failedFuture(error);
      }
      call.attemptedFallbacks++;
      ObjectNode changes = options.fallbackBodies().get(chain.get(index));
      body = changes == null ? call.body : call.body.deepCopy().setAll(changes);
      return group(chain.get(index), false).recover(e -> fallBack(e, chain, index + 1));
    }

    /** The fallback groups for the original group's failure, per LiteLLM's kinds. */
    private List<String> fallbacksFor(Throwable error) {
      if (options.disableFallbacks() || !(error instanceof UpstreamException ue) || ue.gatewayStopping()
          || call.cancellation.isCancelled()) {
        return List.of();
      }
      ErrorKind kind = ErrorKind.of(ue);
      List<String> specific = switch (kind) {
        case CONTEXT_WINDOW -> lookup(settings.contextWindowFallbacks());
        case CONTENT_POLICY -> lookup(settings.contentPolicyFallbacks());
        default -> List.of();
      };
      if (!specific.isEmpty()) {
        return specific;
      }
      if (kind == ErrorKind.BAD_REQUEST || ue.status() == 499) {
        return List.of();
      }
      if (options.fallbacks() != null) {
        return options.fallbacks();
      }
      List<String> configured = lookup(settings.fallbacks());
      return configured.isEmpty() ? settings.defaultFallbacks() : configured;
    }

    /** Fallbacks keyed by the requested name, else by the group it resolved to (an alias), else by "*". */
    private List<String> lookup(Map<String, List<String>> map) {
      List<String> l = map.get(call.modelGroup);
      if (l == null && resolvedGroup != null) {
        l = map.get(resolvedGroup);
      }
      return l != null ? l : map.getOrDefault("*", List.of());
    }

    private Future<ProviderReply> group(String name, boolean original) {
      if (original && options.mockFailure() != null) {
        return Future.failedFuture(options.mockFailure());
      }
      Router.Group g = router.resolve(name).orElse(null);
      if (g == null) {
        return Future.failedFuture(new UpstreamException(400, "invalid_request_error", "Fallback model group \"" + name
            + "\" is not a model_name of this gateway", null, "model_not_found", null));
      }
      if (original) {
        resolvedGroup = g.name();
      }
      return attempt(g, new HashSet<>(4), 0);
    }

    private Future<ProviderReply> attempt(Router.Group g, Set<Integer> tried, int retriesDone) {
      Router.Selection s = router.select(g, tried, ask);
      if (s.error() != null) {
        return Future.failedFuture(s.error());
      }
      Deployment d = s.deployment();
      int slot = s.slot();
      tried.add(slot);
      call.deployment = d;
      router.state().started(slot);
      boolean mock = body.has("mock_response");
      boolean dropParams = body.path("drop_params").asBoolean(d.dropParams());
      Duration timeout = options.timeout() != null ? options.timeout()
          : d.litellmParams().has("timeout") ? d.timeout() : settings.timeout().orElse(d.timeout());
      Duration streamTimeout = options.streamTimeout() != null ? options.streamTimeout()
          : options.timeout() != null ? options.timeout()
          : d.litellmParams().has("stream_timeout") ? d.streamTimeout() : settings.streamTimeout().orElse(timeout);
      UpstreamCall upstream = new UpstreamCall(call.endpoint, d, bodyFor(body, d, mock), call.stream,
          timeout, streamTimeout, dropParams, call.cancellation);
      long start = System.nanoTime();
      return providers.forCall(d, mock).send(upstream).transform(ar -> {
        long took = System.nanoTime() - start;
        call.upstreamNanos += took;
        if (ar.succeeded()) {
          succeeded(d, slot, took / 1_000_000, ar.result());
          return Future.succeededFuture(ar.result());
        }
        router.state().finished(slot, 0, -1);
        if (!(ar.cause() instanceof UpstreamException ue) || ue.gatewayStopping()) {
          return Future.failedFuture(ar.cause());
        }
        ErrorKind kind = ErrorKind.of(ue);
        failed(g, d, slot, kind, ue.status());
        boolean others = router.hasUntried(g, tried);
        boolean retryable = kind.retryableByDefault() || settings.policyNames(g.name(), kind)
            || (others && (kind == ErrorKind.AUTHENTICATION || kind == ErrorKind.NOT_FOUND));
        int allowed = settings.retriesFor(g.name(), kind, options.numRetries().orElse(d.maxRetries().orElse(settings.numRetries())));
        if (!retryable || retriesDone >= allowed || call.cancellation.isCancelled() || ue.status() == 499) {
          return Future.failedFuture(ue);
        }
        call.attemptedRetries++;
        Set<Integer> next = others ? tried : new HashSet<>(4);
        long delay = retryDelay(ue, retriesDone, others);
        return delay <= 0 ? attempt(g, next, retriesDone + 1) : after(delay).compose(v -> attempt(g, next, retriesDone + 1));
      });
    }

    private void succeeded(Deployment d, int slot, long latencyMs, ProviderReply reply) {
      if (settings.enforceModelRateLimits()) {
        router.remaining(slot).forEach((k, v) -> {
          if (!reply.headers().contains(k)) {
            call.responseHeaders.set(k, v);
          }
        });
      }
      if (call.cancellation.isCancelled()) {
        router.state().finished(slot, 0, latencyMs);
      } else {
        // the state of the moment: the router may have swapped its deployments while this streamed
        call.onComplete(outcome -> router.state().finished(slot, call.usage == null ? 0 : call.usage.totalTokens(), latencyMs));
      }
    }

    /** LiteLLM's cooldown rules: at once on 429/401/404/408, else after more than allowed_fails this minute. */
    private void failed(Router.Group g, Deployment d, int slot, ErrorKind kind, int status) {
      if (settings.disableCooldowns() || g.size() < 2) {
        return; // a lone deployment is never taken out of its group (as LiteLLM)
      }
      RouterState state = router.state();
      long now = System.currentTimeMillis();
      boolean counts = kind != ErrorKind.BAD_REQUEST && kind != ErrorKind.CONTEXT_WINDOW && kind != ErrorKind.CONTENT_POLICY;
      if (kind.coolsDownAtOnce() || (counts && state.countFailure(slot, now))) {
        state.coolDown(slot, now);
        router.events().deploymentCooledDown(d, status);
      }
    }

    /**
     * No wait when another deployment can take the retry (beyond {@code retry_after}); else the
     * upstream's retry-after (up to 60 s, as LiteLLM), else exponential backoff with jitter.
     */
    private long retryDelay(UpstreamException e, int retriesDone, boolean others) {
      long floor = settings.retryAfter().toMillis();
      if (others) {
        return floor;
      }
      Duration ra = e.retryAfter().orElse(null);
      if (ra != null && !ra.isNegative() && !ra.isZero() && ra.compareTo(MAX_HONOURED_RETRY_AFTER) <= 0) {
        return Math.max(floor, ra.toMillis());
      }
      long backoff = Math.min(MAX_RETRY_DELAY_MS, INITIAL_RETRY_DELAY_MS << Math.min(retriesDone, 10));
      long jittered = (long) (backoff * (1 - 0.25 * ThreadLocalRandom.current().nextDouble()));
      return Math.max(floor, jittered);
    }

    private Future<Void> after(long millis) {
      Promise<Void> p = Promise.promise();
      Vertx vertx = Vertx.currentContext() == null ? null : Vertx.currentContext().owner();
      if (vertx == null) {
        return Future.succeededFuture();
      }
      long timer = vertx.setTimer(millis, id -> p.tryComplete());
      call.cancellation.onCancel(() -> {
        vertx.cancelTimer(timer);
        p.tryFail(UpstreamException.of(499, "client closed the request"));
      });
      return p.future();
    }
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

  /**
   * What a request asks of the router (body fields and {@code x-litellm-*} headers);
   * {@code streamTimeout} bounds a stream's wait for its first chunk, over {@code timeout};
   * {@code fallbackBodies}: what a fallback entry changes in the body sent to that group
   * ({@code {"model": "b", "messages": [...]}}).
   */
  record CallOptions(OptionalInt numRetries, Duration timeout, Duration streamTimeout, List<String> fallbacks,
      Map<String, ObjectNode> fallbackBodies, boolean disableFallbacks, List<String> tags, UpstreamException mockFailure) {

    static CallOptions of(ProxyCall call) {
      ObjectNode body = call.body;
      OptionalInt retries = OptionalInt.empty();
      String header = call.requestHeaders.get("x-litellm-num-retries");
      if (header != null && header.trim().matches("\\d{1,3}")) {
        retries = OptionalInt.of(Integer.parseInt(header.trim()));
      } else if (body.path("num_retries").canConvertToInt() && body.path("num_retries").asInt() >= 0) {
        retries = OptionalInt.of(body.get("num_retries").asInt());
      }
      Duration timeout = seconds(call.requestHeaders.get("x-litellm-timeout"));
      if (timeout == null && body.path("timeout").isNumber() && body.get("timeout").asDouble() > 0) {
        timeout = Duration.ofMillis((long) (body.get("timeout").asDouble() * 1000));
      }
      List<String> fallbacks = null;
      Map<String, ObjectNode> fallbackBodies = Map.of();
      if (body.path("fallbacks").isArray()) {
        fallbacks = new ArrayList<>();
        fallbackBodies = new HashMap<>();
        for (JsonNode f : body.get("fallbacks")) {
          String name = f.isTextual() ? f.asText() : f.path("model").asText(null);
          if (name != null) {
            fallbacks.add(name);
            if (f.size() > 1) {
              ObjectNode changes = ((ObjectNode) f).deepCopy();
              changes.remove("model");
              fallbackBodies.put(name, changes);
            }
          }
        }
      }
      Duration streamTimeout = seconds(call.requestHeaders.get("x-litellm-stream-timeout"));
      return new CallOptions(retries, timeout, streamTimeout, fallbacks, fallbackBodies, body.path("disable_fallbacks").asBoolean(false),
          tags(call), mockFailure(call));
    }

    private static Duration seconds(String value) {
      if (value == null) {
        return null;
      }
      try {
        double s = Double.parseDouble(value.trim());
        return s > 0 ? Duration.ofMillis((long) (s * 1000)) : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }

    /** Request tags: {@code x-litellm-tags} (comma separated), {@code metadata.tags}, or {@code tags}. */
    private static List<String> tags(ProxyCall call) {
      List<String> tags = new ArrayList<>();
      String header = call.requestHeaders.get("x-litellm-tags");
      if (header != null) {
        for (String t : header.split(",")) {
          if (!t.isBlank()) {
            tags.add(t.trim());
          }
        }
      }
      for (JsonNode source : List.of(call.body.path("metadata").path("tags"), call.body.path("tags"))) {
        if (source.isArray()) {
          source.forEach(t -> tags.add(t.asText()));
        }
      }
      return tags;
    }

    /** {@code mock_testing_fallbacks} and friends: the original group fails at once, to exercise the fallbacks. */
    private static UpstreamException mockFailure(ProxyCall call) {
      ObjectNode body = call.body;
      if (body.path("mock_testing_fallbacks").asBoolean(false)) {
        return UpstreamException.of(500, "litellm.InternalServerError: mock_testing_fallbacks=true for model=" + call.modelGroup);
      }
      if (body.path("mock_testing_context_fallbacks").asBoolean(false)) {
        return new UpstreamException(400, "invalid_request_error", "litellm.ContextWindowExceededError: mock_testing_context_fallbacks=true",
            null, "context_length_exceeded", null);
      }
      if (body.path("mock_testing_content_policy_fallbacks").asBoolean(false)) {
        return new UpstreamException(400, "invalid_request_error", "litellm.ContentPolicyViolationError: mock_testing_content_policy_fallbacks=true",
            null, "content_policy_violation", null);
      }
      return null;
    }
  }
}
