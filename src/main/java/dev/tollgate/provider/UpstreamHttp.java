package dev.tollgate.provider;

import dev.tollgate.call.CallHeaders;
import io.netty.handler.proxy.ProxyConnectException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sends one request to an upstream and hands the response to a {@link WireFormat}: the part
 * every provider shares (timeouts, cancellation, connection errors, error bodies, streaming).
 */
public final class UpstreamHttp {
  private static final int MAX_TARGETS = 1024;
  private static final Map<String, RequestOptions> TARGETS = new ConcurrentHashMap<>();

  private static final List<UpstreamObserver> OBSERVERS = new CopyOnWriteArrayList<>();

  private UpstreamHttp() {}

  /** Adds an observer of every attempt (metrics, tracing); closing the result removes it again. */
  public static AutoCloseable addObserver(UpstreamObserver observer) {
    OBSERVERS.add(observer);
    return () -> OBSERVERS.remove(observer);
  }

  public static Future<ProviderReply> exchange(ProviderContext ctx, UpstreamCall call, String url, MultiMap headers, Buffer body, WireFormat wire) {
    Promise<ProviderReply> reply = Promise.promise();
    if (call.cancellation().isCancelled()) {
      reply.fail(UpstreamException.of(499, "client closed the request"));
      return reply.future();
    }
    if (!OBSERVERS.isEmpty()) {
      observe(call, headers, reply);
    }
    RequestOptions options = new RequestOptions(target(url))
        .setHeaders(headers)
        .setConnectTimeout(Math.min(call.timeout().toMillis(), 30_000));
    long totalMillis = Math.max(1, (call.stream() ? call.streamTimeout() : call.timeout()).toMillis());
    long startNanos = System.nanoTime();
    ctx.http().request(options).onComplete(ar -> {
      if (ar.failed()) {
        reply.tryFail(connectionError(wire.name(), url, ar.cause()));
        return;
      }
      HttpClientRequest request = ar.result();
      // fail the reply before the reset: the reset fails the pending send, which must not win as a 502
      long timer = ctx.vertx().setTimer(totalMillis, id -> {
        reply.tryFail(UpstreamException.timeout(wire.name() + " timed out after " + totalMillis / 1000.0 + "s"
            + (call.stream() ? " waiting for the first chunk (stream_timeout)" : " (timeout)")));
        request.reset();
      });
      call.cancellation().onCancel(() -> {
        reply.tryFail(UpstreamException.of(499, "client closed the request"));
        request.reset();
      });
      reply.future().onComplete(x -> ctx.vertx().cancelTimer(timer));
      request.send(body).onComplete(rar -> {
        if (rar.failed()) {
          reply.tryFail(connectionError(wire.name(), url, rar.cause()));
          return;
        }
        HttpClientResponse response = rar.result();
        int status = response.statusCode();
        boolean streamed = status >= 200 && status < 300 && call.stream();
        if (streamed && wire.isStream(response.getHeader(CallHeaders.CONTENT_TYPE))) {
          ctx.vertx().cancelTimer(timer);
          UpstreamStream.relay(ctx.vertx(), request, response, wire.streamDecoder(call), reply,
              passThroughHeaders(response.headers()), untilFirstChunk(call, startNanos), call.timeout(), call.cancellation());
          return;
        }
        response.body().onComplete(bar -> {
          if (bar.failed()) {
            reply.tryFail(UpstreamException.unreachable(wire.name() + " connection broke while reading the response: " + bar.cause().getMessage()));
          } else if (streamed) {
            reply.tryFail(wire.notAStream(call, bar.result()));
          } else if (status >= 200 && status < 300) {
            try {
              reply.tryComplete(new ProviderReply.Complete(wire.completeResponse(call, bar.result()), passThroughHeaders(response.headers())));
            } catch (UpstreamException e) {
              reply.tryFail(e);
            }
          } else {
            reply.tryFail(wire.error(status, response.headers(), bar.result()));
          }
        });
      });
    });
    return reply.future();
  }

  /** What is left of stream_timeout once the headers came: it bounds the wait for the first chunk from the request on. */
  private static Duration untilFirstChunk(UpstreamCall call, long startNanos) {
    Duration left = call.streamTimeout().minusNanos(System.nanoTime() - startNanos);
    return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
  }

  private static void observe(UpstreamCall call, MultiMap headers, Promise<ProviderReply> reply) {
    for (UpstreamObserver o : OBSERVERS) {
      UpstreamObserver.Attempt attempt = o.attemptStarted(call, headers);
      if (attempt != null) {
        reply.future().onComplete(ar -> attempt.ended(ar.cause()));
      }
    }
  }

  /**
   * A POST to {@code url}, parsed once: setAbsoluteURI builds a java.net.URL on every call (0.6 % of
   * a JSON request in the profile), while a deployment's URLs never change. Bounded, since
   * pass-through routes put the client's path in the URL.
   */
  private static RequestOptions target(String url) {
    RequestOptions target = TARGETS.get(url);
    if (target == null) {
      target = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url);
      if (TARGETS.size() < MAX_TARGETS) {
        TARGETS.put(url, target);
      }
    }
    return target;
  }

  /** Adds the headers every JSON call carries, plus the deployment's {@code extra_headers}. */
  public static MultiMap jsonHeaders(UpstreamCall call) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap()
        .add(CallHeaders.CONTENT_TYPE, CallHeaders.APPLICATION_JSON)
        .add(CallHeaders.ACCEPT, call.stream() ? CallHeaders.EVENT_STREAM : CallHeaders.APPLICATION_JSON);
    for (Map.Entry<String, String> e : call.deployment().extraHeaders().entrySet()) {
      h.set(e.getKey(), e.getValue());
    }
    return h;
  }

  /** {@link #jsonHeaders} with the deployment's key, when it has one, as the bearer token (over one in {@code extra_headers}). */
  public static MultiMap jsonHeadersWithBearerKey(UpstreamCall call) {
    MultiMap h = jsonHeaders(call);
    String key = call.deployment().apiKey();
    if (key != null) {
      h.set("authorization", "Bearer " + key);
    }
    return h;
  }

  private static UpstreamException connectionError(String provider, String url, Throwable cause) {
    if (cause instanceof UpstreamException ue) {
      return ue;
    }
    String host = hostOf(url);
    if (cause instanceof UnknownHostException) {
      return UpstreamException.unreachable(provider + " is unreachable: unknown host " + host);
    }
    if (cause instanceof ProxyConnectException) {
      // a ConnectException too, but the forward proxy said no, not the provider
      return UpstreamException.unreachable(provider + " is unreachable: the forward proxy (HTTPS_PROXY) did not open a "
          + "connection to " + host + " (" + cause.getMessage() + "). If it filters hosts, allow this one (in the hardened "
          + "stack: docker/proxy/allow).");
    }
    if (cause instanceof ConnectException || String.valueOf(cause.getMessage()).contains("Connection refused")) {
      return UpstreamException.unreachable(provider + " is unreachable: connection refused by " + host);
    }
    String msg = String.valueOf(cause.getMessage());
    if (msg.toLowerCase().contains("timeout") || msg.toLowerCase().contains("timed out")) {
      return UpstreamException.timeout(provider + " did not accept a connection in time (" + host + ")");
    }
    return UpstreamException.unreachable(provider + " is unreachable (" + host + "): " + msg);
  }

  /** host:port of a URL, without any user:password@ before it. */
  private static String hostOf(String url) {
    int start = url.indexOf("://");
    int from = start < 0 ? 0 : start + 3;
    int end = url.indexOf('/', from);
    String authority = end < 0 ? url.substring(from) : url.substring(from, end);
    return authority.substring(authority.lastIndexOf('@') + 1);
  }

  /** Upstream rate-limit headers, passed to the client under LiteLLM's {@code llm_provider-} prefix. */
  private static MultiMap passThroughHeaders(MultiMap upstream) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    upstream.forEach((k, v) -> {
      String lower = k.toLowerCase();
      if (lower.startsWith("x-ratelimit-") || lower.equals("openai-processing-ms") || lower.equals("x-request-id")) {
        out.add("llm_provider-" + lower, v);
      }
    });
    return out;
  }
}
