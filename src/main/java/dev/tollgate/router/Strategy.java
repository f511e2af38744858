package dev.tollgate.router;

import dev.tollgate.provider.Deployment;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntToDoubleFunction;

/** LiteLLM's {@code routing_strategy}: how one deployment is chosen among the available ones of a group. */
public enum Strategy {
  SIMPLE_SHUFFLE("simple-shuffle"),
  LEAST_BUSY("least-busy"),
  USAGE_BASED("usage-based-routing-v2", "usage-based-routing"),
  LATENCY_BASED("latency-based-routing"),
  COST_BASED("cost-based-routing");

  private final List<String> names;

  Strategy(String... names) {
    this.names = List.of(names);
  }

  public static Optional<Strategy> parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(s -> s.names.contains(n)).findFirst();
  }

  public static List<String> names() {
    return Arrays.stream(values()).map(s -> s.names.get(0)).toList();
  }

  /**
   * Picks among {@code candidates[0..n)} (slots of {@link RouterState}); returns the index into
   * {@code candidates}. Ties are broken at random so replicas do not all pile onto one deployment.
   */
  int choose(Router.Slots slots, int[] candidates, int n, RouterState state, RouterSettings settings, long now) {
    if (n == 1) {
      return 0;
    }
    return switch (this) {
      case SIMPLE_SHUFFLE -> weighted(slots.weight(), candidates, n);
      case LEAST_BUSY -> lowest(candidates, n, slot -> state.inFlight(slot), 0);
      case USAGE_BASED -> lowest(candidates, n, slot -> state.tpm(slot, now), 0);
      case LATENCY_BASED -> lowest(candidates, n, slot -> state.latencyMillis(slot, now), settings.lowestLatencyBuffer());
      case COST_BASED -> lowest(candidates, n, slot -> slots.cost()[slot], 0);
    };
  }

  /** simple-shuffle: weighted by {@code weight} when set, else {@code rpm}, else {@code tpm}, else uniform. */
  static int weighted(double[] weightBySlot, int[] candidates, int n) {
    double total = 0;
    double[] weights = new double[n];
    for (int i = 0; i < n; i++) {
      weights[i] = weightBySlot[candidates[i]];
      total += weights[i];
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (total <= 0) {
      return random.nextInt(n);
    }
    double r = random.nextDouble(total);
    for (int i = 0; i < n; i++) {
      r -= weights[i];
      if (r < 0) {
        return i;
      }
    }
    return n - 1;
  }

  static double weightOf(Deployment d) {
    if (d.litellmParams().has("weight")) {
      return d.weight();
    }
    return d.rpm().map(Integer::doubleValue).orElse(d.tpm().map(Integer::doubleValue).orElse(1.0));
  }

  /** The candidate with the lowest score; with a buffer, any within (1 + buffer) × lowest, at random. */
  private static int lowest(int[] candidates, int n, IntToDoubleFunction score, double buffer) {
    double[] scores = new double[n];
    double min = Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      scores[i] = score.applyAsDouble(candidates[i]);
      min = Math.min(min, scores[i]);
    }
    double limit = min <= 0 ? min : min * (1 + buffer);
    int eligible = 0;
    for (int i = 0; i < n; i++) {
      if (scores[i] <= limit) {
        eligible++;
      }
    }
    int pick = ThreadLocalRandom.current().nextInt(eligible);
    for (int i = 0; i < n; i++) {
      if (scores[i] <= limit && pick-- == 0) {
        return i;
      }
    }
    return 0;
  }
}
