package dev.tollgate.observe.metrics;

import dev.tollgate.provider.Deployment;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the label values of wildcard model groups ({@code model_name: "openai/*"}) bounded: such a
 * deployment serves any name a client sends, and each name would add series for the process's
 * life. The first {@link #LIMIT} names of a deployment are labelled as sent; later ones by the
 * pattern, as configured.
 */
final class WildcardNames {
  static final int LIMIT = 100;
  private final Map<String, Set<String>> labelled = new ConcurrentHashMap<>();

  /** Whether a call of {@code requested} served by {@code d} is labelled with the name it sent. */
  boolean asSent(Deployment d, String requested) {
    if (d == null || d.modelName().indexOf('*') < 0) {
      return true;
    }
    Set<String> names = labelled.computeIfAbsent(d.id(), id -> ConcurrentHashMap.newKeySet());
    if (names.contains(requested)) {
      return true;
    }
    if (names.size() >= LIMIT) {
      return false;
    }
    names.add(requested);
    return true;
  }

  /** The deployment as configured: the pattern in place of the name a client sent. */
  static Deployment pattern(Deployment d) {
    String model = d.litellmParams().path("model").asText(d.upstreamModel());
    return d.withUpstreamModel(model.substring(model.indexOf('/') + 1));
  }
}
