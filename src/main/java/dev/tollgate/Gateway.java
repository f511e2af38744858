package dev.tollgate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.MasterKeyAuthenticator;
import dev.tollgate.cache.ResponseCache;
import dev.tollgate.call.Interceptor;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.ingress.gemini.GeminiIngress;
import dev.tollgate.json.Json;
import dev.tollgate.messages.MessagesRoutes;
import dev.tollgate.passthrough.PassThroughRoutes;
import dev.tollgate.keys.KeysModule;
import dev.tollgate.observe.Observability;
import dev.tollgate.observe.ObserveSettings;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Deployments;
import dev.tollgate.provider.LiveStreams;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.redis.SharedRedis;
import dev.tollgate.router.Router;
import dev.tollgate.server.GatewayVerticle;
import dev.tollgate.server.ServerSettings;
import dev.tollgate.server.UpstreamClientOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running gateway: config validated, components built, one HTTP server per event loop. */
public final class Gateway {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final List<GatewayVerticle> servers;
  private final int port;
  private final ServerSettings settings;
  private final List<AutoCloseable> resources;

  private Gateway(Vertx vertx, List<GatewayVerticle> servers, int port, ServerSettings settings, List<AutoCloseable> resources) {
    this.vertx = vertx;
    this.servers = servers;
    this.port = port;
    this.settings = settings;
    this.resources = resources;
  }

  /**
   * Validates the config and starts serving; throws {@link ConfigException} with one clear line
   * when the config is wrong, before anything listens.
   */
  public static Gateway start(GatewayConfig config, String host, int port, boolean detailedDebug) {
    long t0 = System.nanoTime();
    List<Deployment> deployments = new ArrayList<>(Deployments.fromConfig(config));
    ServerSettings settings = ServerSettings.from(config, host, port, detailedDebug);
    MasterKeyAuthenticator auth = masterKey(config);
    // virtual keys, budgets, rate limits and spend (SQLite by default, PostgreSQL with DATABASE_URL)
    KeysModule keys = KeysModule.open(config);
    // models stored through /model/new: replaced at run time when they change (KeysModule)
    Router router = Router.fromConfig(config, deployments, keys.storedDeployments());
    ResponseCache cache = ResponseCache.fromConfig(config);
    // The request path after authentication, in order; routing and the provider call come last.
    List<Interceptor> interceptors = new ArrayList<>();
    // Routes of other parts (admin API, metrics, UI), added to every event loop's router.
    List<GatewayVerticle.RouteContributor> routes = new ArrayList<>();
    routes.add(new MessagesRoutes(router));
    routes.add(new GeminiIngress());
    routes.add(new PassThroughRoutes(router.deployments(), config.env()));
    // Closed, in reverse order, after the HTTP servers drained (pools, clients, spend writers).
    List<AutoCloseable> resources = new ArrayList<>();
    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true));
    Optional<SharedRedis> redis = SharedRedis.fromConfig(vertx, config);
    redis.ifPresent(r -> router.share(vertx, r));
    resources.addAll(redis.stream().toList());
    resources.add(router);
    // Metrics, traces, logs, health: first in the chain, so it sees every call, refused ones too.
    Observability observe = Observability.create(config, router::deployments, detailedDebug);
    resources.add(observe);
    interceptors.addAll(observe.interceptors());
    routes.add(observe.routes());
    router.reportTo(observe.events());
    resources.add(keys.start(router, auth, observe.events()));
    redis.ifPresent(r -> keys.useRedis(vertx, r));
    // limits and budgets before the cache: a cached answer is still a call the key makes
    interceptors.add(keys.enforcement());
    routes.add(keys.routes());
    cache.start(vertx, redis, interceptors, routes, resources, observe.events());
    Supplier<ObjectNode> readiness = () -> readinessDetails(keys, cache, observe.settings());
    GatewayVerticle.Shared shared = new GatewayVerticle.Shared(settings, router, keys.authenticator(), List.copyOf(interceptors),
        observe.refusals(),
        readiness, UpstreamClientOptions.fromEnvironment(config.env()), List.copyOf(routes));

    for (String ignored : config.ignoredSettings()) {
      log.warn("config: {} is not implemented by Tollgate yet and is ignored", ignored);
    }

    List<GatewayVerticle> servers = new ArrayList<>();
    try {
      // Vert.x shares one listening socket among the servers of one port; for a random port that
      // takes a negative port number (0 would give every event loop its own random port)
      int listenPort = port == 0 ? -1 : port;
      GatewayVerticle first = new GatewayVerticle(shared, listenPort);
      await(vertx.deployVerticle(first));
      servers.add(first);
      int actualPort = first.actualPort();
      for (int i = 1; i < loops; i++) {
        GatewayVerticle v = new GatewayVerticle(shared, listenPort);
        await(vertx.deployVerticle(v));
        servers.add(v);
        if (v.actualPort() != actualPort) {
          throw new IllegalStateException("event loop " + i + " listens on port " + v.actualPort() + ", not " + actualPort);
        }
      }
      observe.started(vertx, host, readiness, shared.upstreamOptions());
      Gateway gateway = new Gateway(vertx, servers, actualPort, settings, resources);
      log.info("Tollgate {} ready on http://{}:{} in {} ms, serving {} model(s){}", Version.VERSION, host, actualPort,
          (System.nanoTime() - t0) / 1_000_000, router.modelNames().size(),
          router.modelNames().isEmpty() ? " — add a model_list to a config file and start with --config FILE (see examples/quickstart.yaml)"
              : ": " + String.join(", ", router.modelNames()));
      return gateway;
    } catch (RuntimeException e) {
      vertx.close();
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception ignored) {
          // start-up already failed; the first error is the one to report
        }
      }
      throw e;
    }
  }

  private static MasterKeyAuthenticator masterKey(GatewayConfig config) {
    ConfigNode general = config.generalSettings();
    String key = general.optString("master_key").or(() -> config.env().get("LITELLM_MASTER_KEY")).orElse(null);
    boolean open = general.bool("allow_unauthenticated", false) || config.env().flag("TOLLGATE_ALLOW_UNAUTHENTICATED");
    if (key != null && !key.startsWith("sk-")) {
      throw new ConfigException("general_settings.master_key: the master key must start with \"sk-\" (as in LiteLLM)");
    }
    if (key == null && open) {
      log.warn("NO MASTER KEY and allow_unauthenticated is set: anyone who can reach this port can use every model");
    } else if (key == null) {
      log.warn("No master key configured (LITELLM_MASTER_KEY or general_settings.master_key): every API call will be refused with 401");
    }
    return new MasterKeyAuthenticator(key, open);
  }

  private static ObjectNode readinessDetails(KeysModule keys, ResponseCache cache, ObserveSettings observe) {
    ObjectNode details = Json.object().put("db", keys.databaseState()).put("cache", cache.type());
    observe.activeCallbacks().forEach(details.putArray("success_callbacks")::add);
    return details;
  }

  public int port() {
    return port;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Graceful stop: no new connections, requests and streams in flight get up to the drain timeout. */
  public void stop() {
    stop(settings.drainTimeout());
  }

  public void stop(Duration drain) {
    List<Future<Void>> drains = new ArrayList<>();
    for (GatewayVerticle v : servers) {
      drains.add(v.drain(drain));
    }
    // streams still running near the deadline end with an error event while their connections
    // are still open, instead of being cut without one when the drain closes them
    long millis = drain.toMillis();
    vertx.setTimer(Math.max(1, millis - Math.min(1_000, millis / 4)), id -> {
      int ended = LiveStreams.endAll(vertx, UpstreamException.gatewayStopping(
          "Tollgate is shutting down and this stream was still running at the end of its drain timeout: retry the request"));
      if (ended > 0) {
        log.warn("drain timeout: ended {} stream(s) still running with an error event", ended);
      }
    });
    try {
      Future.join(drains).toCompletionStage().toCompletableFuture().get(millis + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("drain did not finish cleanly: {}", e.toString());
    }
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        log.warn("closing {} failed: {}", resources.get(i), e.toString());
      }
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("event loops did not close cleanly: {}", e.toString());
    }
    LiveStreams.forget(vertx);
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.net.BindException || String.valueOf(cause.getMessage()).contains("Address already in use")) {
        throw new ConfigException("cannot listen: " + cause.getMessage() + " (is another process using the port? pick one with --port)");
      }
      throw new IllegalStateException("start-up failed: " + cause.getMessage(), cause);
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("start-up did not finish: " + e, e);
    }
  }

}
