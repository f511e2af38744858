package dev.tollgate.observe.metrics;

import io.prometheus.metrics.core.metrics.StatefulMetric;
import java.util.List;

/**
 * One metric with LiteLLM's default label names, of which {@code prometheus_metrics_config} may keep
 * only some: callers always pass values for every default label, in the default order, and the
 * values of dropped labels are left out here. A metric the config does not enable is registered
 * nowhere visible (see {@link GatewayMetrics}) so callers never check.
 */
final class LabelledFamily<D extends io.prometheus.metrics.core.datapoints.DataPoint> {
  private final StatefulMetric<D, ?> metric;
  private final int[] kept;
  private final boolean all;

  LabelledFamily(StatefulMetric<D, ?> metric, List<String> defaults, List<String> keptNames) {
    this.metric = metric;
    this.kept = new int[keptNames.size()];
    for (int i = 0; i < kept.length; i++) {
      kept[i] = defaults.indexOf(keptNames.get(i));
    }
    this.all = kept.length == defaults.size();
  }

  /** The data point for these values of the default labels (a map look-up: cache the result where it pays). */
  D labels(String... defaultOrderValues) {
    if (all) {
      return metric.labelValues(defaultOrderValues);
    }
    String[] values = new String[kept.length];
    for (int i = 0; i < kept.length; i++) {
      values[i] = defaultOrderValues[kept[i]];
    }
    return metric.labelValues(values);
  }
}
