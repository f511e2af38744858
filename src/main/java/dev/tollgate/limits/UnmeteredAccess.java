package dev.tollgate.limits;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.store.Entity;
import java.util.List;

/**
 * Who may use the routes the gateway does not meter (pass-through): their calls reach any model of
 * the provider, with the operator's credentials, past every budget and rate limit. So only callers
 * with nothing to enforce: no restricting {@code models}, no budget, no rate limit, no route list,
 * on the key, its user or its team.
 */
public final class UnmeteredAccess {
  private static final List<String> LIMITS = List.of("max_budget", "budget_id", "model_max_budget", "rpm_limit", "tpm_limit",
      "max_parallel_requests", "model_rpm_limit", "model_tpm_limit", "allowed_routes");

  private UnmeteredAccess() {}

  /** Why the owners (each may be null) may not make unmetered calls, or null when they may. */
  public static String refusal(Entity key, Entity user, Entity team) {
    for (Entity e : new Entity[] {key, user, team}) {
      if (e == null) {
        continue;
      }
      List<String> models = ModelAccess.models(e);
      if (!ModelAccess.allowsAll(models)) {
        return refusal(e, "is limited to the models " + models);
      }
      for (String limit : LIMITS) {
        JsonNode v = e.settings().get(limit);
        if (v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty())) {
          return refusal(e, "has " + limit + " set");
        }
      }
    }
    return null;
  }

  private static String refusal(Entity e, String why) {
    String whose = e.kind().equals(Entity.KEY) ? "This key" : "The " + e.kind() + " of this key";
    return whose + " " + why + ", which pass-through routes cannot enforce: they forward any request to the provider "
        + "and do not meter it. Use the OpenAI-compatible routes (/v1/chat/completions, /v1/messages, ...) or a key without limits.";
  }
}
