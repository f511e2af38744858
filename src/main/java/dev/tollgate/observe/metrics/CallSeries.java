package dev.tollgate.observe.metrics;

import static dev.tollgate.observe.metrics.Labels.NONE;
import static dev.tollgate.observe.metrics.Labels.orNone;

import dev.tollgate.provider.Deployment;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The data points of one label set, resolved once: recording a call is then a few adds, with no
 * label look-up on the hot path. Failure series (rare) are still looked up when they happen.
 */
final class CallSeries {
  private final GatewayMetrics m;
  final SeriesKey key;
  /** The deployment as its series name it (a wildcard's pattern once it has served too many names). */
  private final Deployment deployment;
  final String model;
  private final AtomicReferenceArray<CounterDataPoint> requestsByStatus = new AtomicReferenceArray<>(600);
  final CounterDataPoint spend;
  final CounterDataPoint inputTokens;
  final CounterDataPoint outputTokens;
  final CounterDataPoint totalTokens;
  final DistributionDataPoint requestLatency;
  final DistributionDataPoint llmApiLatency;
  final DistributionDataPoint timeToFirstToken;
  final DistributionDataPoint overheadLatency;
  final CounterDataPoint cacheHit;
  final CounterDataPoint cacheMiss;

  CallSeries(GatewayMetrics m, SeriesKey k, Deployment d) {
    this.m = m;
    this.key = k;
    this.deployment = d;
    this.model = d == null ? NONE : d.upstreamModel();
    spend = m.spend.labels(k.endUser(), k.hashedKey(), k.keyAlias(), model, k.team(), k.teamAlias(), k.user());
    inputTokens = m.inputTokens.labels(tokenLabels());
    outputTokens = m.outputTokens.labels(tokenLabels());
    totalTokens = m.totalTokens.labels(tokenLabels());
    requestLatency = m.requestLatency.labels(latencyLabels());
    overheadLatency = m.overheadLatency.labels(latencyLabels());
    llmApiLatency = m.llmApiLatency.labels(model, k.hashedKey(), k.keyAlias(), k.team(), k.teamAlias(), k.requestedModel(),
        k.endUser(), k.user());
    timeToFirstToken = m.timeToFirstToken.labels(model, k.hashedKey(), k.keyAlias(), k.team(), k.teamAlias());
    // the cache answers before routing, so no deployment is known: "model" is the model group asked for
    String cached = orNone(k.requestedModel());
    cacheHit = m.cacheHits.labels(k.endUser(), k.hashedKey(), k.keyAlias(), cached, k.team(), k.teamAlias(), k.user());
    cacheMiss = m.cacheMisses.labels(k.endUser(), k.hashedKey(), k.keyAlias(), cached, k.team(), k.teamAlias(), k.user());
  }

  private String[] tokenLabels() {
    return new String[] {key.endUser(), key.hashedKey(), key.keyAlias(), model, key.team(), key.teamAlias(), key.user(),
        key.requestedModel()};
  }

  private String[] latencyLabels() {
    return new String[] {key.endUser(), key.hashedKey(), key.keyAlias(), key.requestedModel(), key.team(), key.teamAlias(),
        key.user(), model};
  }

  CounterDataPoint requests(int status) {
    int i = status >= 0 && status < 600 ? status : 0;
    CounterDataPoint p = requestsByStatus.get(i);
    if (p == null) {
      p = m.requests(key, status);
      requestsByStatus.set(i, p);
    }
    return p;
  }

  void failed(int status) {
    m.failed(key, status);
  }

  /** One attempt at this series' deployment: counted in total, and in success or failure. */
  void attempt(int failureStatus) {
    Deployment d = deployment;
    String[] labels = {key.requestedModel(), d.litellmModel(), d.id(), orNone(d.shownApiBase()), d.providerName(), key.hashedKey(),
        key.keyAlias(), key.team(), key.teamAlias()};
    m.deploymentTotal.labels(labels).inc();
    if (failureStatus == 0) {
      m.deploymentSuccess.labels(labels).inc();
      return;
    }
    m.deploymentFailure.labels(key.requestedModel(), d.litellmModel(), d.id(), orNone(d.shownApiBase()), d.providerName(),
        key.hashedKey(), key.keyAlias(), key.team(), key.teamAlias(), Integer.toString(failureStatus),
        Labels.exceptionClass(failureStatus)).inc();
  }
}
