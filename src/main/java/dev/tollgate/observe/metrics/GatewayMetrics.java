package dev.tollgate.observe.metrics;

import static dev.tollgate.observe.metrics.Labels.orNone;

import dev.tollgate.auth.Principal;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.call.RefusedRequests;
import dev.tollgate.config.ConfigException;
import dev.tollgate.observe.ObserveSettings;
import dev.tollgate.observe.ObservedEvents;
import dev.tollgate.provider.Deployment;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.StatefulMetric;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * LiteLLM's Prometheus metrics, with its exact names, types, label names and latency buckets, in
 * a registry of this gateway (several gateways may share a JVM in tests), plus JVM and HTTP server
 * metrics.
 *
 * <p>Why the Prometheus Java client and not Micrometer: Micrometer renames meters by convention
 * (units, suffixes) and looks a meter up by name and tags on every use; this client writes the
 * names as given, and the data points of a call's label set are resolved once and cached (see
 * {@link CallSeries}), so a request costs a handful of lock-free adds.
 */
public final class GatewayMetrics implements ObservedEvents, RefusedRequests {
  /** LiteLLM's LATENCY_BUCKETS, in seconds (+Inf is implicit). */
  static final double[] LATENCY_BUCKETS = {0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5,
      4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 15.0, 20.0, 25.0, 30.0, 60.0, 120.0, 180.0,
      240.0, 300.0, 600.0};
  private static final int MAX_CACHED_SERIES = 10_000;

  private final WildcardNames wildcards = new WildcardNames();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  /** Where metrics that prometheus_metrics_config leaves out go: updated like the others, never scraped. */
  private final PrometheusRegistry disabled = new PrometheusRegistry();
  private final Map<String, List<String>> includeLabels;
  private final Set<String> known = new LinkedHashSet<>();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final ConcurrentHashMap<SeriesKey, CallSeries> series = new ConcurrentHashMap<>();
  final boolean trackEndUser;

  final LabelledFamily<CounterDataPoint> proxyRequests;
  final LabelledFamily<CounterDataPoint> proxyFailed;
  final LabelledFamily<CounterDataPoint> spend;
  final LabelledFamily<CounterDataPoint> inputTokens;
  final LabelledFamily<CounterDataPoint> outputTokens;
  final LabelledFamily<CounterDataPoint> totalTokens;
  final LabelledFamily<DistributionDataPoint> requestLatency;
  final LabelledFamily<DistributionDataPoint> llmApiLatency;
  final LabelledFamily<DistributionDataPoint> timeToFirstToken;
  final LabelledFamily<DistributionDataPoint> overheadLatency;
  final LabelledFamily<GaugeDataPoint> deploymentState;
  final LabelledFamily<CounterDataPoint> deploymentSuccess;
  final LabelledFamily<CounterDataPoint> deploymentFailure;
  final LabelledFamily<CounterDataPoint> deploymentTotal;
  final LabelledFamily<CounterDataPoint> deploymentCooledDown;
  final LabelledFamily<GaugeDataPoint> remainingKeyBudget;
  final LabelledFamily<GaugeDataPoint> remainingTeamBudget;
  final LabelledFamily<CounterDataPoint> cacheHits;
  final LabelledFamily<CounterDataPoint> cacheMisses;

  public GatewayMetrics(ObserveSettings settings, List<Deployment> deployments, LongSupplier inFlight) {
    this.includeLabels = settings.includeLabels();
    this.trackEndUser = settings.trackEndUser();
    proxyRequests = counter("litellm_proxy_total_requests_metric", "Total number of requests made to the proxy server", Labels.PROXY_REQUESTS);
    proxyFailed = counter("litellm_proxy_failed_requests_metric",
        "Total number of failed responses from proxy - the client did not get a success response", Labels.PROXY_FAILED);
    spend = counter("litellm_spend_metric", "Total spend on LLM requests", Labels.SPEND);
    inputTokens = counter("litellm_input_tokens_metric", "Total number of input tokens from LLM requests", Labels.TOKENS);
    outputTokens = counter("litellm_output_tokens_metric", "Total number of output tokens from LLM requests", Labels.TOKENS);
    totalTokens = counter("litellm_total_tokens_metric", "Total number of input + output tokens from LLM requests", Labels.TOKENS);
    requestLatency = histogram("litellm_request_total_latency_metric", "Total latency (seconds) for a request to the proxy",
        Labels.REQUEST_LATENCY);
    llmApiLatency = histogram("litellm_llm_api_latency_metric", "Total latency (seconds) for the LLM API call", Labels.LLM_API_LATENCY);
    timeToFirstToken = histogram("litellm_llm_api_time_to_first_token_metric", "Time to first token for a streaming LLM API call",
        Labels.TTFT);
    overheadLatency = histogram("litellm_overhead_latency_metric", "Latency overhead (seconds) added by the proxy",
        Labels.REQUEST_LATENCY);
    deploymentState = gauge("litellm_deployment_state",
        "The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage", Labels.DEPLOYMENT);
    deploymentSuccess = counter("litellm_deployment_success_responses", "Total number of successful LLM API calls via the proxy",
        Labels.DEPLOYMENT_CALLS);
    deploymentFailure = counter("litellm_deployment_failure_responses", "Total number of failed LLM API calls for a deployment",
        Labels.DEPLOYMENT_FAILURES);
    deploymentTotal = counter("litellm_deployment_total_requests", "Total number of LLM API calls for a deployment - success + failure",
        Labels.DEPLOYMENT_CALLS);
    deploymentCooledDown = counter("litellm_deployment_cooled_down", "Number of times a deployment has been cooled down",
        Labels.COOLED_DOWN);
    remainingKeyBudget = gauge("litellm_remaining_api_key_budget_metric", "Remaining budget for an API key", Labels.KEY_BUDGET);
    remainingTeamBudget = gauge("litellm_remaining_team_budget_metric", "Remaining budget for a team", Labels.TEAM_BUDGET);
    cacheHits = counter("litellm_cache_hits_metric", "Total number of LiteLLM cache hits", Labels.CACHE);
    cacheMisses = counter("litellm_cache_misses_metric", "Total number of LiteLLM cache misses", Labels.CACHE);
    known.add("litellm_in_flight_requests");
    GaugeWithCallback.builder().name("litellm_in_flight_requests").help("Number of HTTP requests currently in flight on this gateway")
        .callback(cb -> cb.call(inFlight.getAsLong()))
        .register(enabled("litellm_in_flight_requests") ? registry : disabled);
    for (String name : includeLabels.keySet()) {
      if (!known.contains(name)) {
        throw new ConfigException("litellm_settings.prometheus_metrics_config: unknown metric \"" + name + "\" (known: "
            + String.join(", ", known) + ")");
      }
    }
    registerJvmMetrics(registry);
    for (Deployment d : deployments) {
      deploymentState.labels(deploymentLabels(d)).set(0);
    }
  }

  /**
   * The JVM and process metrics of {@code JvmMetrics}, less two: the per-pool allocation counters
   * listen to every garbage collection through JMX notifications (0.4 % of a busy gateway's CPU),
   * and the native-memory ones ask the JVM for a report at start (40 ms) that is empty unless
   * native memory tracking was turned on.
   */
  private static void registerJvmMetrics(PrometheusRegistry registry) {
    JvmThreadsMetrics.builder().register(registry);
    JvmBufferPoolMetrics.builder().register(registry);
    JvmClassLoadingMetrics.builder().register(registry);
    JvmCompilationMetrics.builder().register(registry);
    JvmGarbageCollectorMetrics.builder().register(registry);
    JvmMemoryMetrics.builder().register(registry);
    JvmRuntimeInfoMetric.builder().register(registry);
    ProcessMetrics.builder().register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Writes the Prometheus text format (version 0.0.4) of every metric. */
  public void scrape(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }

  public static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** The cached data points of one label set; see {@link CallSeries}. */
  CallSeries seriesFor(ProxyCall call, Deployment deployment) {
    SeriesKey key;
    if (wildcards.asSent(deployment, call.modelGroup)) {
      key = SeriesKey.of(call, deployment, trackEndUser);
    } else {
      deployment = WildcardNames.pattern(deployment);
      key = SeriesKey.of(call.principal, trackEndUser ? call.endUser() : null, deployment.modelName(), deployment.id());
    }
    Deployment labelled = deployment;
    CallSeries s = series.get(key);
    if (s == null) {
      if (series.size() >= MAX_CACHED_SERIES) {
        series.clear(); // a bound for unbounded label values (end_user); the metrics themselves stay
      }
      s = series.computeIfAbsent(key, k -> new CallSeries(this, k, labelled));
    }
    return s;
  }

  /**
   * A request refused before it became a call (bad key, unknown model, invalid body): one request
   * and one failure, with the labels known then ("None" for the rest). Rare: no cached series.
   */
  @Override
  public void refused(Principal principal, String requestedModel, String endUser, int status) {
    SeriesKey k = SeriesKey.of(principal, trackEndUser ? endUser : null, requestedModel, null);
    requests(k, status).inc();
    failed(k, status);
  }

  CounterDataPoint requests(SeriesKey k, int status) {
    return proxyRequests.labels(k.endUser(), k.hashedKey(), k.keyAlias(), k.requestedModel(), k.team(), k.teamAlias(), k.user(),
        Integer.toString(status));
  }

  void failed(SeriesKey k, int status) {
    proxyFailed.labels(k.endUser(), k.hashedKey(), k.keyAlias(), k.requestedModel(), k.team(), k.teamAlias(), k.user(),
        Integer.toString(status), Labels.exceptionClass(status)).inc();
  }

  static String[] deploymentLabels(Deployment d) {
    return new String[] {d.litellmModel(), d.id(), orNone(d.shownApiBase()), d.providerName()};
  }

  /** 0 healthy, 1 partial outage (calls failing), 2 complete outage (health check failing). */
  public void deploymentState(Deployment d, int state) {
    deploymentState.labels(deploymentLabels(d)).set(state);
  }

  @Override
  public void cacheHit(ProxyCall call) {
    seriesFor(call, call.deployment).cacheHit.inc();
  }

  @Override
  public void cacheMiss(ProxyCall call) {
    seriesFor(call, call.deployment).cacheMiss.inc();
  }

  @Override
  public void deploymentCooledDown(Deployment d, int status) {
    deploymentCooledDown.labels(d.litellmModel(), d.id(), orNone(d.shownApiBase()), d.providerName(), Integer.toString(status)).inc();
  }

  @Override
  public void remainingKeyBudget(String hashedKey, String keyAlias, double usd) {
    remainingKeyBudget.labels(orNone(hashedKey), orNone(keyAlias)).set(usd);
  }

  @Override
  public void remainingTeamBudget(String team, String teamAlias, double usd) {
    remainingTeamBudget.labels(orNone(team), orNone(teamAlias)).set(usd);
  }

  private boolean enabled(String name) {
    return includeLabels.isEmpty() || includeLabels.containsKey(name);
  }

  private List<String> kept(String name, List<String> defaults) {
    known.add(name);
    List<String> wanted = includeLabels.get(name);
    if (wanted == null) {
      return defaults;
    }
    List<String> kept = new ArrayList<>();
    for (String label : defaults) {
      if (wanted.contains(label)) {
        kept.add(label);
      }
    }
    return kept;
  }

  private <D extends DataPoint> LabelledFamily<D> family(StatefulMetric<D, ?> metric, List<String> defaults, List<String> kept) {
    return new LabelledFamily<>(metric, defaults, kept);
  }

  private LabelledFamily<CounterDataPoint> counter(String name, String help, List<String> labels) {
    List<String> kept = kept(name, labels);
    Counter c = Counter.builder().name(name).help(help).labelNames(kept.toArray(String[]::new)).withoutExemplars()
        .register(enabled(name) ? registry : disabled);
    return family(c, labels, kept);
  }

  private LabelledFamily<DistributionDataPoint> histogram(String name, String help, List<String> labels) {
    List<String> kept = kept(name, labels);
    Histogram h = Histogram.builder().name(name).help(help).labelNames(kept.toArray(String[]::new)).classicOnly()
        .classicUpperBounds(LATENCY_BUCKETS).withoutExemplars().register(enabled(name) ? registry : disabled);
    return family(h, labels, kept);
  }

  private LabelledFamily<GaugeDataPoint> gauge(String name, String help, List<String> labels) {
    List<String> kept = kept(name, labels);
    Gauge g = Gauge.builder().name(name).help(help).labelNames(kept.toArray(String[]::new)).withoutExemplars()
        .register(enabled(name) ? registry : disabled);
    return family(g, labels, kept);
  }
}
