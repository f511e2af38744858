package dev.tollgate.observe.metrics;

import dev.tollgate.call.Interceptor;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.provider.Cancellation;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamObserver;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records each call's metrics when it completes (first in the chain, so it also sees calls that
 * a later step refused), and each upstream attempt's outcome per deployment. The hot path pays a
 * few timestamps, two map operations and the adds of {@link CallSeries}.
 */
public final class MetricsInterceptor implements Interceptor, UpstreamObserver {
  private final GatewayMetrics metrics;
  /** Calls between start and completion, found again by the attempts made on their behalf. */
  private final ConcurrentHashMap<Cancellation, Record> active = new ConcurrentHashMap<>();

  public MetricsInterceptor(GatewayMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public Future<ProviderReply> intercept(ProxyCall call, Chain next) {
    Record r = new Record(call);
    active.put(call.cancellation, r);
    if (call.stream) {
      call.observeChunks(r);
    }
    Future<ProviderReply> reply = next.proceed(call);
    // registered after the rest of the chain registered its hooks, so that spend accounting has set
    // responseCost when this one runs (the call cannot complete before this method returns)
    call.onComplete(r::complete);
    return reply;
  }

  @Override
  public Attempt attemptStarted(UpstreamCall upstream, MultiMap headers) {
    Record r = active.get(upstream.cancellation());
    if (r == null) {
      return null; // not a client call (a health check), or one this gateway does not follow
    }
    r.attemptStartNanos = System.nanoTime();
    r.attempts++;
    Deployment d = upstream.deployment();
    return failure -> {
      int status = failure == null ? 0 : failure instanceof UpstreamException ue ? ue.status() : 500;
      if (status == 499) {
        return; // the client left; the deployment did nothing wrong
      }
      metrics.seriesFor(r.call, d).attempt(status);
      if (status == 0) {
        metrics.deploymentState(d, 0);
      } else if (status >= 500 || status == 408 || status == 429) {
        metrics.deploymentState(d, 1);
      }
    };
  }

  private final class Record implements java.util.function.Consumer<Buffer> {
    final ProxyCall call;
    long attemptStartNanos;
    int attempts;
    long firstChunkNanos;
    long overheadNanos = -1;

    Record(ProxyCall call) {
      this.call = call;
    }

    @Override
    public void accept(Buffer chunk) {
      if (firstChunkNanos == 0) {
        firstChunkNanos = System.nanoTime();
        overheadNanos = firstChunkNanos - call.startNanos - call.upstreamNanos;
      }
    }

    void complete(ProxyCall.Outcome outcome) {
      active.remove(call.cancellation);
      long now = System.nanoTime();
      Deployment d = call.deployment;
      CallSeries s = metrics.seriesFor(call, d);
      boolean failed = outcome.status() >= 400 || outcome.error() != null;
      int status = outcome.error() != null ? outcome.error().status() : outcome.status();
      s.requests(outcome.status()).inc();
      if (failed) {
        s.failed(status);
      }
      if (attempts == 0 && d != null && status != 499) {
        s.attempt(failed ? status : 0); // answered without an HTTP attempt (mock_response)
      }
      if (call.usage != null) {
        s.inputTokens.inc(call.usage.promptTokens());
        s.outputTokens.inc(call.usage.completionTokens());
        s.totalTokens.inc(call.usage.totalTokens());
      }
      if (call.responseCost > 0) {
        s.spend.inc(call.responseCost);
      }
      if (failed) {
        return; // latencies are of successful calls, as in LiteLLM
      }
      long apiStart = attemptStartNanos != 0 ? attemptStartNanos : now - call.upstreamNanos;
      s.requestLatency.observe(seconds(now - call.startNanos));
      if (call.stream) {
        s.llmApiLatency.observe(seconds(now - apiStart));
        if (firstChunkNanos != 0) {
          s.timeToFirstToken.observe(seconds(firstChunkNanos - apiStart));
          s.overheadLatency.observe(seconds(Math.max(0, overheadNanos)));
        }
      } else {
        s.llmApiLatency.observe(seconds(call.upstreamNanos));
        s.overheadLatency.observe(seconds(Math.max(0, now - call.startNanos - call.upstreamNanos)));
      }
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
