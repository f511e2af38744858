package dev.tollgate.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.Authenticator;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.RefusedRequests;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderRegistry;
import dev.tollgate.router.Router;
import dev.tollgate.router.RoutingInterceptor;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's HTTP server: the routes of the OpenAI API, health and models, with this loop's
 * own upstream HTTP client (so a request and its upstream call stay on one thread).
 */
public final class GatewayVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);

  /** What every event loop shares: immutable or thread-safe. */
  public record Shared(
      ServerSettings settings,
      Router router,
      Authenticator authenticator,
      List<Interceptor> interceptors,
      RefusedRequests refusals,
      Supplier<ObjectNode> readinessDetails,
      HttpClientOptions upstreamOptions,
      List<RouteContributor> extraRoutes) {}

  /** Adds routes of another part of the gateway (admin API, metrics, UI) to every event loop's router. */
  @FunctionalInterface
  public interface RouteContributor {
    void register(io.vertx.ext.web.Router web, RouteSupport support);
  }

  /**
   * What a contributed route may use: authentication and body handlers, the request path for
   * other API formats ({@code dispatcher}), and this event loop's upstream HTTP client.
   * {@code llmApi} authenticates like {@code authenticated} on routes that call a model: the
   * requests it refuses count in the metrics as failed requests.
   */
  public record RouteSupport(Handler<RoutingContext> authenticated, Handler<RoutingContext> llmApi, Handler<RoutingContext> unmetered,
      Handler<RoutingContext> adminOnly, BodyHandler body,
      OpenAiDispatcher dispatcher, ProviderContext providerContext) {}

  private static final long MAX_CONCURRENT_H2_STREAMS = 10_000;
  private static final Set<HttpMethod> CORS_METHODS = Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
      HttpMethod.DELETE);

  private final Shared shared;
  private final int port;
  private HttpServer server;
  private HttpClient http;

  public GatewayVerticle(Shared shared, int port) {
    this.shared = shared;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    http = vertx.createHttpClient(shared.upstreamOptions(), new PoolOptions().setHttp1MaxSize(2048).setMaxWaitQueueSize(-1));
    ProviderContext providerContext = new ProviderContext(vertx, http);
    ProviderRegistry providers = new ProviderRegistry(providerContext);
    List<Interceptor> steps = new ArrayList<>(shared.interceptors());
    steps.add(new RoutingInterceptor(shared.router(), providers));
    ProxyHandler proxy = new ProxyHandler(shared.router(), Interceptor.chain(steps), shared.refusals());
    ModelsHandler models = new ModelsHandler(shared.router(), shared.authenticator());
    HealthHandler health = new HealthHandler(shared.router(), providers, shared.readinessDetails());
    AuthHandler auth = new AuthHandler(shared.authenticator(), AuthHandler.Need.KEY);
    AuthHandler llmApi = new AuthHandler(shared.authenticator(), AuthHandler.Need.KEY, shared.refusals());
    AuthHandler unmetered = new AuthHandler(shared.authenticator(), AuthHandler.Need.UNMETERED);
    AuthHandler admin = new AuthHandler(shared.authenticator(), AuthHandler.Need.ADMIN);

    io.vertx.ext.web.Router web = io.vertx.ext.web.Router.router(vertx);
    web.get("/health/liveliness").handler(HealthHandler::liveness);
    web.get("/health/liveness").handler(HealthHandler::liveness);
    web.get("/health/readiness").handler(health::readiness);
    web.get("/health").handler(admin).handler(health::health);

    BodyHandler body = BodyHandler.create(false).setBodyLimit(shared.settings().maxRequestBytes());
    for (String prefix : List.of("", "/v1")) {
      web.get(prefix + "/models").handler(auth).handler(models::list);
      web.getWithRegex(prefix + "/models/(?<id>.+)").handler(auth).handler(models::one);
      proxyRoute(web, prefix + "/chat/completions", body, llmApi, proxy, Endpoint.CHAT);
      proxyRoute(web, prefix + "/completions", body, llmApi, proxy, Endpoint.COMPLETIONS);
      proxyRoute(web, prefix + "/embeddings", body, llmApi, proxy, Endpoint.EMBEDDINGS);
    }
    // Azure-style paths, as the AzureOpenAI clients call them
    for (String prefix : List.of("/openai/deployments/:model", "/engines/:model", "/v1/engines/:model")) {
      proxyRoute(web, prefix + "/chat/completions", body, llmApi, proxy, Endpoint.CHAT);
      proxyRoute(web, prefix + "/completions", body, llmApi, proxy, Endpoint.COMPLETIONS);
      proxyRoute(web, prefix + "/embeddings", body, llmApi, proxy, Endpoint.EMBEDDINGS);
    }
    RouteSupport support = new RouteSupport(auth, llmApi, unmetered, admin, body, proxy, providerContext);
    for (RouteContributor contributor : shared.extraRoutes()) {
      contributor.register(web, support);
    }
    web.route().last().handler(rc -> ApiError.of(404, "No route for " + rc.request().method() + " " + rc.request().path())
        .writeTo(rc.response()));
    web.route().failureHandler(GatewayVerticle::failure);

    server = vertx.createHttpServer(new HttpServerOptions().setHost(shared.settings().host()).setPort(port)
        .setTcpNoDelay(true).setCompressionSupported(false).setIdleTimeout(0)
        // h2c clients (the JDK's HttpClient upgrades by default) put every stream on one
        // connection: Vert.x's default of 100 concurrent streams would queue the rest
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(MAX_CONCURRENT_H2_STREAMS)));
    // as LiteLLM: browser pages on any origin may call the API (keys travel in headers, not
    // cookies). Only a request with an Origin goes through the CORS handler: SDKs and servers pay
    // nothing for it
    io.vertx.ext.web.Router browsers = io.vertx.ext.web.Router.router(vertx);
    browsers.route().handler(CorsHandler.create().allowedMethods(CORS_METHODS).maxAgeSeconds(600));
    browsers.route("/*").subRouter(web);
    return server.requestHandler(req -> (req.headers().contains(HttpHeaders.ORIGIN) ? browsers : web).handle(req)).listen();
  }

  private static void proxyRoute(io.vertx.ext.web.Router web, String path, BodyHandler body, AuthHandler auth,
      ProxyHandler proxy, Endpoint endpoint) {
    web.post(path).handler(body).handler(auth).handler(rc -> proxy.handle(rc, endpoint));
  }

  private static void failure(RoutingContext rc) {
    int status = rc.statusCode();
    if (status == 413) {
      ApiError.of(413, "Request body too large: the limit is general_settings.max_request_size_mb").writeTo(rc.response());
      return;
    }
    if (rc.failure() != null) {
      log.error("unhandled error on {} {}", rc.request().method(), rc.request().path(), rc.failure());
    }
    ApiError.of(status > 0 ? status : 500, status > 0 && status < 500 ? "Bad request" : "Internal error in the gateway")
        .writeTo(rc.response());
  }

  public int actualPort() {
    return server.actualPort();
  }

  /**
   * Stops accepting, lets requests and streams in flight finish up to {@code drain}, then closes.
   * Completes once the event loop has also run what the last calls queued on it (their spend rows
   * reach the journal at the end of their turn), so that what closes next sees all of it.
   */
  public Future<Void> drain(Duration drain) {
    return server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS).eventually(() -> {
      Promise<Void> queuedWorkDone = Promise.promise();
      context.runOnContext(v -> queuedWorkDone.complete());
      return queuedWorkDone.future();
    });
  }

  @Override
  public Future<?> stop() {
    return http == null ? Future.succeededFuture() : http.close();
  }
}
