package dev.tollgate.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.json.Json;
import dev.tollgate.observe.ObservedEvents;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.ReplayedStream;
import dev.tollgate.provider.RequestParams;
import dev.tollgate.redis.SharedRedis;
import dev.tollgate.server.GatewayVerticle;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * LiteLLM's response cache ({@code litellm_settings.cache: true}, {@code cache_params}): an
 * interceptor before routing that answers repeated requests from a local (Caffeine) or Redis
 * store, keyed by the request's OpenAI parameters and model group. Streaming clients get cached
 * answers as a stream; a streamed answer is reassembled and cached whole.
 */
public final class ResponseCache implements Interceptor {
  /** LiteLLM's in-memory default ttl. */
  static final Duration LOCAL_DEFAULT_TTL = Duration.ofSeconds(600);
  static final long LOCAL_DEFAULT_MAX_ENTRIES = 10_000;
  private static final Set<String> NOT_IN_KEY = Set.of("stream", "stream_options");
  private static final MultiMap NO_HEADERS = MultiMap.caseInsensitiveMultiMap();

  private final Settings settings;
  private CacheStore store;
  private ObservedEvents events = ObservedEvents.NONE;

  /** cache_params as read at start. */
  record Settings(boolean enabled, String type, Optional<String> connection, String password, Duration ttl, String namespace,
      boolean defaultOff, Set<String> callTypes, long maxEntries) {}

  private ResponseCache(Settings settings) {
    this.settings = settings;
  }

  public static ResponseCache fromConfig(GatewayConfig config) {
    ConfigNode l = config.litellmSettings();
    boolean enabled = l.bool("cache", false);
    ConfigNode p = l.section("cache_params");
    String type = p.optString("type").orElse("local");
    if (!type.equals("local") && !type.equals("redis")) {
      throw p.child("type").invalid("\"local\" or \"redis\" (other LiteLLM cache types are not supported)");
    }
    Optional<String> connection = p.optString("url").or(() -> p.optString("redis_url"))
        .or(() -> p.optString("host").map(host -> "redis://" + host + ":" + p.optString("port").orElse("6379")));
    String password = p.optString("password").orElse(null);
    if (enabled && type.equals("redis") && connection.isEmpty() && config.routerSettings().optString("redis_host").isEmpty()
        && config.routerSettings().optString("redis_url").isEmpty() && config.env().get("REDIS_HOST").isEmpty()
        && config.env().get("REDIS_URL").isEmpty()) {
      throw new ConfigException("litellm_settings.cache_params.type: \"redis\" needs cache_params.host (or REDIS_HOST / redis_url)");
    }
    Duration ttl = p.optSeconds("ttl").orElse(null);
    String namespace = p.optString("namespace").orElse(null);
    String mode = p.optString("mode").orElse("default_on");
    if (!mode.equals("default_on") && !mode.equals("default_off")) {
      throw p.child("mode").invalid("\"default_on\" or \"default_off\"");
    }
    List<String> callTypes = p.has("supported_call_types") ? p.stringList("supported_call_types")
        : List.of("completion", "acompletion", "text_completion", "atext_completion", "embedding", "aembedding");
    long max = p.optNonNegativeInt("max_size_in_memory").map(Integer::longValue).orElse(LOCAL_DEFAULT_MAX_ENTRIES);
    return new ResponseCache(new Settings(enabled, type, connection, password, ttl, namespace, mode.equals("default_off"),
        Set.copyOf(callTypes), max));
  }

  /** "local" or "redis" when caching is on, else null (what /health/readiness reports, as LiteLLM's). */
  public String type() {
    return settings.enabled() ? settings.type() : null;
  }

  /**
   * Adds the interceptor (when caching is on) and {@code /cache/ping}; the Redis store is shared or
   * its own. Every lookup is reported to {@code events} as a hit or a miss.
   */
  public void start(Vertx vertx, Optional<SharedRedis> shared, List<Interceptor> interceptors,
      List<GatewayVerticle.RouteContributor> routes, List<AutoCloseable> resources, ObservedEvents events) {
    this.events = events;
    if (settings.enabled()) {
      if (settings.type().equals("redis")) {
        SharedRedis redis = settings.connection().map(c -> {
          SharedRedis own = SharedRedis.connect(vertx, c, settings.password());
          resources.add(own);
          return own;
        }).or(() -> shared).orElseThrow();
        store = new CacheStore.Redis(redis, settings.ttl());
      } else {
        store = new CacheStore.Local(settings.maxEntries(), settings.ttl() != null ? settings.ttl() : LOCAL_DEFAULT_TTL);
      }
      interceptors.add(this);
    }
    routes.add((web, support) -> web.get("/cache/ping").handler(support.authenticated()).handler(rc -> {
      if (store == null) {
        ApiError.of(503, "Cache not initialized: set litellm_settings.cache: true").writeTo(rc.response());
        return;
      }
      store.ping().onComplete(ar -> {
        if (ar.succeeded()) {
          rc.response().putHeader("content-type", "application/json").end(Json.buffer(Json.object()
              .put("status", "healthy").put("cache_type", store.type()).put("ping_response", true)));
        } else {
          ApiError.of(503, "Cache (" + store.type() + ") is unhealthy: " + ar.cause().getMessage()).writeTo(rc.response());
        }
      });
    }));
  }

  @Override
  public Future<ProviderReply> intercept(ProxyCall call, Chain next) {
    JsonNode controls = call.body.path("cache");
    if (!supported(call.endpoint) || (settings.defaultOff() && !controls.path("use-cache").asBoolean(false))) {
      return next.proceed(call);
    }
    String namespace = controls.path("namespace").asText(settings.namespace());
    String key = key(call, namespace);
    boolean noStore = controls.path("no-store").asBoolean(false);
    Duration ttl = controls.path("ttl").isNumber() ? Duration.ofMillis((long) (controls.get("ttl").asDouble() * 1000)) : null;
    if (controls.path("no-cache").asBoolean(false)) {
      return store(call, next.proceed(call), key, noStore, ttl);
    }
    long maxAgeMs = controls.path("s-maxage").isNumber() ? (long) (controls.get("s-maxage").asDouble() * 1000) : -1;
    return store.get(key).compose(hit -> {
      JsonNode entry = hit == null ? null : Json.tryParse(hit);
      if (entry != null && entry.has("response")
          && (maxAgeMs < 0 || System.currentTimeMillis() - entry.path("at").asLong(0) <= maxAgeMs)) {
        call.responseHeaders.set("x-litellm-cache-key", key);
        call.cacheHit = true;
        events.cacheHit(call);
        return Future.succeededFuture(answer(call, entry.get("response")));
      }
      events.cacheMiss(call);
      return store(call, next.proceed(call), key, noStore, ttl);
    });
  }

  private boolean supported(Endpoint endpoint) {
    return switch (endpoint) {
      case CHAT -> settings.callTypes().contains("acompletion") || settings.callTypes().contains("completion");
      case COMPLETIONS -> settings.callTypes().contains("atext_completion") || settings.callTypes().contains("text_completion");
      case EMBEDDINGS -> settings.callTypes().contains("aembedding") || settings.callTypes().contains("embedding");
      case MESSAGES -> false; // native Anthropic answers are relayed as they come, not cached
    };
  }

  private static ProviderReply answer(ProxyCall call, JsonNode response) {
    if (call.stream) {
      return new ProviderReply.Streaming(new ReplayedStream(
          StreamedAnswer.replay(call.endpoint, response, call.clientWantsStreamUsage())), NO_HEADERS);
    }
    return new ProviderReply.Complete(Json.buffer(response), NO_HEADERS);
  }

  /** Caches a successful answer once it is complete (a stream: once it ended well). */
  private Future<ProviderReply> store(ProxyCall call, Future<ProviderReply> reply, String key, boolean noStore, Duration ttl) {
    if (noStore) {
      return reply;
    }
    return reply.onSuccess(r -> {
      switch (r) {
        case ProviderReply.Complete c -> put(key, c.body(), ttl);
        case ProviderReply.Streaming s -> {
          StreamedAnswer answer = new StreamedAnswer(call.endpoint);
          call.observeChunks(answer::add);
          call.onComplete(outcome -> {
            if (outcome.status() == 200 && outcome.error() == null && !outcome.clientDisconnected()) {
              answer.usageIfNone(call.usage);
              Buffer body = answer.body();
              if (body != null) {
                put(key, body, ttl);
              }
            }
          });
        }
      }
    });
  }

  private void put(String key, Buffer body, Duration ttl) {
    JsonNode response = Json.tryParse(body);
    if (response == null || response.has("error")) {
      return;
    }
    ObjectNode entry = Json.object().put("at", System.currentTimeMillis());
    entry.set("response", response);
    store.put(key, Json.buffer(entry), ttl);
  }

  /**
   * SHA-256 of the model group and the request's OpenAI parameters (sorted, gateway-only fields
   * and the stream flag left out), prefixed by the namespace when there is one.
   */
  static String key(ProxyCall call, String namespace) {
    TreeMap<String, JsonNode> params = new TreeMap<>();
    for (Iterator<String> it = call.body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!RequestParams.GATEWAY_ONLY.contains(f) && !NOT_IN_KEY.contains(f)) {
        params.put(f, call.body.get(f));
      }
    }
    params.put("model", Json.object().textNode(call.modelGroup));
    params.put("endpoint", Json.object().textNode(call.endpoint.name()));
    StringBuilder canonical = new StringBuilder();
    params.forEach((k, v) -> canonical.append(k).append('=').append(canonicalJson(v)).append('\n'));
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      String hex = HexFormat.of().formatHex(hash);
      return namespace == null || namespace.isEmpty() ? hex : namespace + ":" + hex;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String canonicalJson(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, String> sorted = new TreeMap<>();
      node.properties().forEach(e -> sorted.put(e.getKey(), canonicalJson(e.getValue())));
      StringBuilder sb = new StringBuilder("{");
      sorted.forEach((k, v) -> sb.append(Json.object().textNode(k)).append(':').append(v).append(','));
      return sb.append('}').toString();
    }
    if (node.isArray()) {
      List<String> items = new ArrayList<>(node.size());
      node.forEach(n -> items.add(canonicalJson(n)));
      return items.toString();
    }
    return node.toString();
  }
}
