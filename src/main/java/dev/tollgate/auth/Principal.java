package dev.tollgate.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Who is calling: identified only by the SHA-256 of the key they presented (never the key
 * itself), the role and id of the key's user (what they may do with the admin API, over whose
 * data), and the key's model {@code aliases} ({@code {"gpt-4": "gpt-4o-mini"}}: the model a
 * request names, and the model group it gets), or null.
 *
 * <p>A virtual key's principal also names its owners as LiteLLM's {@code UserAPIKeyAuth} does —
 * the key's alias, its team id and the team's alias (null when it has none) — read from the
 * in-memory accounts when the key is checked, so that what reports a call (metrics) never looks
 * them up again.
 *
 * <p>{@code allowedRoutes} are the key's {@code allowed_routes} (empty: every route its role allows).
 */
public record Principal(String keyHash, Role role, String userId, JsonNode modelAliases, String keyAlias, String teamId,
    String teamAlias, List<String> allowedRoutes) {
  public static final Principal ANONYMOUS = master("anonymous");

  /** The master key. */
  public static Principal master(String keyHash) {
    return new Principal(keyHash, Role.PROXY_ADMIN, null, null, null, null, null, List.of());
  }

  /** Everything: the master key, or a key of a {@code proxy_admin} user. */
  public boolean admin() {
    return role == Role.PROXY_ADMIN;
  }

  /** The model group a request naming {@code model} is for. */
  public String modelGroupFor(String model) {
    JsonNode target = modelAliases == null ? null : modelAliases.get(model);
    return target != null && target.isTextual() ? target.asText() : model;
  }
}
