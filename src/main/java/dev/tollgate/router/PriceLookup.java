package dev.tollgate.router;

import dev.tollgate.provider.Deployment;
import java.util.Map;

/**
 * Cost of a deployment's tokens for {@code cost-based-routing}: {@code model_info}'s
 * {@code input_cost_per_token} + {@code output_cost_per_token} when set, else a small bundled table
 * (the full price map lives elsewhere and can be plugged in through this interface).
 */
@FunctionalInterface
public interface PriceLookup {
  /** USD per input + output token; {@link Double#MAX_VALUE} when unknown (priced deployments win). */
  double costPerToken(Deployment d);

  /** USD per million input and output tokens of a few common models. */
  Map<String, double[]> BUNDLED = Map.of(
      "gpt-4o", new double[] {2.5, 10},
      "gpt-4o-mini", new double[] {0.15, 0.6},
      "gpt-4.1", new double[] {2, 8},
      "gpt-4.1-mini", new double[] {0.4, 1.6},
      "gpt-4.1-nano", new double[] {0.1, 0.4},
      "gpt-3.5-turbo", new double[] {0.5, 1.5},
      "o3-mini", new double[] {1.1, 4.4},
      "text-embedding-3-small", new double[] {0.02, 0},
      "text-embedding-3-large", new double[] {0.13, 0});

  PriceLookup DEFAULT = d -> {
    var info = d.modelInfo();
    if (info.has("input_cost_per_token") || info.has("output_cost_per_token")) {
      return info.path("input_cost_per_token").asDouble(0) + info.path("output_cost_per_token").asDouble(0);
    }
    var params = d.litellmParams();
    if (params.has("input_cost_per_token") || params.has("output_cost_per_token")) {
      return params.path("input_cost_per_token").asDouble(0) + params.path("output_cost_per_token").asDouble(0);
    }
    double[] perMillion = BUNDLED.get(d.upstreamModel());
    return perMillion == null ? Double.MAX_VALUE : (perMillion[0] + perMillion[1]) / 1_000_000;
  };
}
