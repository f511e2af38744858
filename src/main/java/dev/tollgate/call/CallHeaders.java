package dev.tollgate.call;

import io.netty.handler.codec.http.HttpHeaders;
import io.vertx.core.MultiMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Names and fixed values of the headers every proxied call carries, pre-encoded: Netty copies the
 * bytes of these at once but encodes a {@link String} char by char, which the profile showed at 3 %
 * of a stream's CPU with the dozen headers a call answers with.
 */
public final class CallHeaders {
  public static final CharSequence CALL_ID = optimized("x-litellm-call-id");
  public static final CharSequence MODEL_GROUP = optimized("x-litellm-model-group");
  public static final CharSequence MODEL_ID = optimized("x-litellm-model-id");
  public static final CharSequence MODEL_API_BASE = optimized("x-litellm-model-api-base");
  public static final CharSequence VERSION = optimized("x-litellm-version");
  public static final CharSequence RESPONSE_DURATION_MS = optimized("x-litellm-response-duration-ms");
  public static final CharSequence OVERHEAD_DURATION_MS = optimized("x-litellm-overhead-duration-ms");
  public static final CharSequence ATTEMPTED_RETRIES = optimized("x-litellm-attempted-retries");
  public static final CharSequence ATTEMPTED_FALLBACKS = optimized("x-litellm-attempted-fallbacks");
  public static final CharSequence RESPONSE_COST = optimized("x-litellm-response-cost");
  public static final CharSequence KEY_SPEND = optimized("x-litellm-key-spend");
  /** Request header naming the end user (customer) a call is for; see {@link ProxyCall#endUser()}. */
  public static final CharSequence CUSTOMER_ID = optimized("x-litellm-customer-id");
  public static final CharSequence LIMIT_REQUESTS = optimized("x-ratelimit-limit-requests");
  public static final CharSequence REMAINING_REQUESTS = optimized("x-ratelimit-remaining-requests");
  public static final CharSequence LIMIT_TOKENS = optimized("x-ratelimit-limit-tokens");
  public static final CharSequence REMAINING_TOKENS = optimized("x-ratelimit-remaining-tokens");

  public static final CharSequence CONTENT_TYPE = io.vertx.core.http.HttpHeaders.CONTENT_TYPE;
  public static final CharSequence ACCEPT = io.vertx.core.http.HttpHeaders.ACCEPT;
  public static final CharSequence AUTHORIZATION = io.vertx.core.http.HttpHeaders.AUTHORIZATION;
  public static final CharSequence CACHE_CONTROL = io.vertx.core.http.HttpHeaders.CACHE_CONTROL;
  public static final CharSequence ACCEL_BUFFERING = optimized("x-accel-buffering");
  public static final CharSequence APPLICATION_JSON = optimized("application/json");
  public static final CharSequence EVENT_STREAM = optimized("text/event-stream");
  public static final CharSequence NO_CACHE = optimized("no-cache");
  public static final CharSequence NO = optimized("no");

  private static final int MAX_REPEATED = 1024;
  private static final Map<String, CharSequence> REPEATED = new ConcurrentHashMap<>();
  private static final Map<String, CharSequence> BEARERS = new ConcurrentHashMap<>();

  private CallHeaders() {}

  /**
   * A value that repeats from call to call (a deployment's id or API base, a configured model
   * group; never a value a client chose), pre-encoded once; past {@value #MAX_REPEATED} distinct
   * values, the value as it is.
   */
  public static CharSequence repeated(String value) {
    return value == null ? null : cached(REPEATED, value, UnaryOperator.identity());
  }

  /** {@code Bearer <key>} for a deployment's key, pre-encoded once per key (bounded like {@link #repeated}). */
  public static CharSequence bearer(String key) {
    return cached(BEARERS, key, k -> "Bearer " + k);
  }

  private static CharSequence cached(Map<String, CharSequence> cache, String key, UnaryOperator<String> value) {
    CharSequence v = cache.get(key);
    if (v != null) {
      return v;
    }
    return cache.size() < MAX_REPEATED ? cache.computeIfAbsent(key, k -> optimized(value.apply(k))) : value.apply(key);
  }

  private static CharSequence optimized(String s) {
    return io.vertx.core.http.HttpHeaders.createOptimized(s);
  }

  /**
   * Adds every header of {@code from} to {@code to} keeping names and values as they are;
   * {@link MultiMap#addAll} would turn pre-encoded names back into strings.
   */
  public static void copy(MultiMap from, MultiMap to) {
    if (from.isEmpty()) {
      return;
    }
    if (!(from instanceof HttpHeaders netty)) {
      to.addAll(from);
      return;
    }
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = netty.iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      to.add(e.getKey(), e.getValue());
    }
  }
}
