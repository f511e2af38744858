package dev.tollgate.router;

import dev.tollgate.provider.Deployment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Model groups (every deployment sharing a {@code model_name}) and the choice of one deployment per attempt. */
public final class Router {
  private final Map<String, List<Deployment>> groups = new LinkedHashMap<>();
  private final List<Deployment> all;

  public Router(List<Deployment> deployments) {
    this.all = List.copyOf(deployments);
    for (Deployment d : deployments) {
      groups.computeIfAbsent(d.modelName(), k -> new ArrayList<>()).add(d);
    }
    groups.replaceAll((k, v) -> List.copyOf(v));
  }

  public Optional<List<Deployment>> group(String modelName) {
    return Optional.ofNullable(groups.get(modelName));
  }

  public List<String> modelNames() {
    return List.copyOf(groups.keySet());
  }

  public List<Deployment> deployments() {
    return all;
  }

  /**
   * simple-shuffle: a random deployment, weighted by {@code weight} when set, else by
   * {@code rpm}, else by {@code tpm}, else uniform. Deployments in {@code exclude} are skipped
   * while any other remains.
   */
  public Deployment pick(List<Deployment> group, List<Deployment> exclude) {
    List<Deployment> candidates = group;
    if (!exclude.isEmpty() && group.size() > exclude.size()) {
      candidates = new ArrayList<>(group);
      // by identity: two entries with the same settings are equal records, and both must not go
      candidates.removeIf(d -> exclude.stream().anyMatch(x -> x == d));
    }
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    double[] weights = new double[candidates.size()];
    double total = 0;
    for (int i = 0; i < weights.length; i++) {
      Deployment d = candidates.get(i);
      double w = d.litellmParams().has("weight") ? d.weight()
          : d.rpm().map(Integer::doubleValue).orElse(d.tpm().map(Integer::doubleValue).orElse(1.0));
      weights[i] = w;
      total += w;
    }
    if (total <= 0) {
      return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
    }
    double r = ThreadLocalRandom.current().nextDouble(total);
    for (int i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) {
        return candidates.get(i);
      }
    }
    return candidates.get(candidates.size() - 1);
  }
}
