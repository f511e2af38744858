package dev.tollgate.passthrough;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.config.Environment;
import dev.tollgate.ingress.gemini.GeminiIngress;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.ProviderCatalog;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderFamily;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.bedrock.BedrockProvider;
import dev.tollgate.provider.vertex.ServiceAccountTokens;
import dev.tollgate.server.GatewayVerticle;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pass-through routes ({@code /anthropic/*}, {@code /gemini/*}, {@code /vertex_ai/*},
 * {@code /bedrock/*}, {@code /azure/*}, {@code /openai/*}): the provider's native request is
 * forwarded as it came (method, path after the prefix, query, body) with the provider credentials
 * of the config (the first deployment of that provider, else its environment variables), and the
 * response relayed byte for byte. Callers authenticate with a gateway key, which is never forwarded;
 * the gateway neither checks nor meters what these calls do, so a key with model, budget or rate
 * limits may not use them.
 * Registered after the gateway's own routes, so {@code /openai/deployments/{model}/...} keeps its meaning.
 */
public final class PassThroughRoutes implements GatewayVerticle.RouteContributor {
  /** Client headers that are credentials or hop-by-hop: never forwarded. */
  private static final Set<String> DROPPED_REQUEST_HEADERS = Set.of("host", "authorization", "x-api-key", "api-key",
      "x-goog-api-key", "x-litellm-api-key", "content-length", "connection", "transfer-encoding", "keep-alive",
      "proxy-authorization", "te", "upgrade", "cookie", "accept-encoding");
  private static final Set<String> DROPPED_RESPONSE_HEADERS = Set.of("connection", "transfer-encoding", "keep-alive",
      "content-length", "set-cookie");
  private static final Pattern VERSION_SUFFIX = Pattern.compile("/(v1|v1beta|v1alpha)$");
  private static final Pattern VERTEX_LOCATION = Pattern.compile("/locations/([^/]+)/");

  enum Auth { BEARER, X_API_KEY, API_KEY, GOOG_API_KEY, VERTEX, SIGV4 }

  /** Where one prefix forwards to, resolved once from the config and the environment. */
  record Target(String prefix, String family, String base, String apiKey, ObjectNode params, Auth auth) {}

  private final List<Target> targets;

  public PassThroughRoutes(List<Deployment> deployments, Environment env) {
    targets = List.of(
        target("anthropic", List.of("anthropic"), "https://api.anthropic.com", List.of("ANTHROPIC_API_KEY"),
            List.of("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"), Auth.X_API_KEY, deployments, env),
        target("gemini", List.of("gemini"), "https://generativelanguage.googleapis.com", List.of("GEMINI_API_KEY"),
            List.of("GEMINI_API_BASE"), Auth.GOOG_API_KEY, deployments, env),
        target("vertex_ai", List.of("vertex_ai", "vertex_ai_beta"), null, List.of(), List.of(), Auth.VERTEX, deployments, env),
        target("bedrock", List.of("bedrock"), null, List.of("AWS_BEARER_TOKEN_BEDROCK"), List.of(), Auth.SIGV4, deployments, env),
        target("azure", List.of("azure"), null, List.of("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
            List.of("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"), Auth.API_KEY, deployments, env),
        target("openai", List.of("openai"), "https://api.openai.com", List.of("OPENAI_API_KEY"),
            List.of("OPENAI_BASE_URL", "OPENAI_API_BASE"), Auth.BEARER, deployments, env));
  }

  private static Target target(String prefix, List<String> families, String defaultBase, List<String> keyEnv, List<String> baseEnv,
      Auth auth, List<Deployment> deployments, Environment env) {
    Optional<Deployment> d = deployments.stream().filter(x -> families.contains(x.family().name()) && x.mockResponse().isEmpty()).findFirst();
    if (d.isPresent()) {
      ObjectNode params = d.get().litellmParams();
      String base = params.hasNonNull("api_base") || params.hasNonNull("base_url") || defaultBase != null ? d.get().apiBase() : null;
      return new Target(prefix, families.get(0), base == null ? null : VERSION_SUFFIX.matcher(base).replaceFirst(""),
          d.get().apiKey(), params, auth);
    }
    ObjectNode params = Json.object();
    ProviderCatalog.find(families.get(0)).map(ProviderFamily::paramEnv).orElse(Map.of())
        .forEach((param, names) -> env.first(names.toArray(String[]::new)).ifPresent(v -> params.put(param, v)));
    String base = env.first(baseEnv.toArray(String[]::new)).map(b -> b.replaceAll("/+$", "")).orElse(defaultBase);
    return new Target(prefix, families.get(0), base, env.first(keyEnv.toArray(String[]::new)).orElse(null), params, auth);
  }

  @Override
  public void register(Router web, GatewayVerticle.RouteSupport support) {
    ServiceAccountTokens tokens = new ServiceAccountTokens(support.providerContext());
    for (Target t : targets) {
      web.route("/" + t.prefix() + "/*").handler(support.body()).handler(GeminiIngress::keyFromQuery).handler(support.unmetered())
          .handler(rc -> forward(rc, t, support.providerContext(), tokens));
    }
  }

  private static void forward(RoutingContext rc, Target t, ProviderContext ctx, ServiceAccountTokens tokens) {
    HttpServerRequest in = rc.request();
    String path = in.path().substring(t.prefix().length() + 1);
    String query = withoutKey(in.query());
    Buffer body = rc.body().buffer() == null ? Buffer.buffer() : rc.body().buffer();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    in.headers().forEach((k, v) -> {
      if (!DROPPED_REQUEST_HEADERS.contains(k.toLowerCase())) {
        headers.add(k, v);
      }
    });
    Future<String> url;
    try {
      url = authenticate(t, path + (query.isEmpty() ? "" : "?" + query), in.method().name(), headers, body, tokens);
    } catch (UpstreamException e) {
      ApiError.from(e).writeTo(rc.response());
      return;
    }
    url.compose(u -> ctx.http().request(new RequestOptions().setMethod(in.method()).setAbsoluteURI(u).setHeaders(headers)
            .setConnectTimeout(30_000).setIdleTimeout(600_000)))
        .onSuccess(out -> relay(rc, out, body))
        .onFailure(e -> (e instanceof UpstreamException ue ? ApiError.from(ue)
            : ApiError.of(502, t.prefix() + " pass-through: upstream unreachable: " + e.getMessage())).writeTo(rc.response()));
  }

  /** Adds the provider's credentials and answers the full upstream URL. */
  private static Future<String> authenticate(Target t, String pathAndQuery, String method, MultiMap headers, Buffer body,
      ServiceAccountTokens tokens) {
    String base = t.base();
    if (t.auth() == Auth.VERTEX && base == null) {
      Matcher m = VERTEX_LOCATION.matcher(pathAndQuery);
      String location = m.find() ? m.group(1) : t.params().path("vertex_location").asText("us-central1");
      base = location.equals("global") ? "https://aiplatform.googleapis.com" : "https://" + location + "-aiplatform.googleapis.com";
    }
    if (t.auth() == Auth.SIGV4) {
      base = BedrockProvider.baseUrl(t.params(), base);
    }
    if (base == null) {
      throw UpstreamException.of(400, t.prefix() + " pass-through needs an endpoint: add a " + t.family()
          + "/ deployment with api_base to model_list, or set its environment variable");
    }
    String url = base + pathAndQuery;
    switch (t.auth()) {
      case BEARER -> requireKey(t).ifPresent(k -> headers.set("authorization", "Bearer " + k));
      case X_API_KEY -> {
        requireKey(t).ifPresent(k -> headers.set("x-api-key", k));
        if (!headers.contains("anthropic-version")) {
          headers.set("anthropic-version", "2023-06-01");
        }
      }
      case API_KEY -> requireKey(t).ifPresent(k -> headers.set("api-key", k));
      case GOOG_API_KEY -> requireKey(t).ifPresent(k -> headers.set("x-goog-api-key", k));
      case SIGV4 -> BedrockProvider.authenticate(t.params(), t.apiKey(), method, url, headers, body);
      case VERTEX -> {
        String credentials = t.params().path("vertex_credentials").asText("");
        if (credentials.isEmpty()) {
          requireKey(t).ifPresent(k -> headers.set("authorization", "Bearer " + k));
          return Future.succeededFuture(url);
        }
        return tokens.token(credentials).map(token -> {
          headers.set("authorization", "Bearer " + token);
          return url;
        });
      }
    }
    return Future.succeededFuture(url);
  }

  private static Optional<String> requireKey(Target t) {
    if (t.apiKey() == null) {
      throw UpstreamException.of(401, t.prefix() + " pass-through has no provider credentials: add a " + t.family()
          + "/ deployment with api_key to model_list, or set its environment variable");
    }
    return Optional.of(t.apiKey());
  }

  /** The client's {@code ?key=} is its gateway key (Google clients send keys that way): it must not travel on. */
  private static String withoutKey(String query) {
    if (query == null || query.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String pair : query.split("&")) {
      String name = URLDecoder.decode(pair.split("=", 2)[0], StandardCharsets.UTF_8);
      if (!name.equals("key")) {
        sb.append(sb.isEmpty() ? "" : "&").append(pair);
      }
    }
    return sb.toString();
  }

  /** Sends the body, then streams the upstream's status, headers and body back as they arrive. */
  private static void relay(RoutingContext rc, HttpClientRequest out, Buffer body) {
    HttpServerResponse response = rc.response();
    response.closeHandler(v -> out.reset());
    out.send(body).onFailure(e -> ApiError.of(502, "pass-through: upstream connection failed: " + e.getMessage()).writeTo(response))
        .onSuccess(up -> {
          response.setStatusCode(up.statusCode());
          up.headers().forEach((k, v) -> {
            if (!DROPPED_RESPONSE_HEADERS.contains(k.toLowerCase())) {
              response.headers().add(k, v);
            }
          });
          String length = up.getHeader("content-length");
          if (length != null) {
            response.putHeader("content-length", length);
          } else {
            response.setChunked(true);
          }
          up.pipeTo(response).onFailure(e -> response.reset());
        });
  }
}
