package dev.tollgate.auth;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Who is calling: identified only by the SHA-256 of the key they presented (never the key
 * itself), whether they may use the admin API, and the key's model {@code aliases}
 * ({@code {"gpt-4": "gpt-4o-mini"}}: the model a request names, and the model group it gets), or null.
 *
 * <p>A virtual key's principal also names its owners as LiteLLM's {@code UserAPIKeyAuth} does —
 * the key's alias, its user id, its team id and the team's alias (null when it has none) — read
 * from the in-memory accounts when the key is checked, so that what reports a call (metrics) never
 * looks them up again.
 */
public record Principal(String keyHash, boolean admin, JsonNode modelAliases, String keyAlias, String userId, String teamId,
    String teamAlias) {
  public static final Principal ANONYMOUS = new Principal("anonymous", true);

  public Principal(String keyHash, boolean admin) {
    this(keyHash, admin, null);
  }

  public Principal(String keyHash, boolean admin, JsonNode modelAliases) {
    this(keyHash, admin, modelAliases, null, null, null, null);
  }

  /** The model group a request naming {@code model} is for. */
  public String modelGroupFor(String model) {
    JsonNode target = modelAliases == null ? null : modelAliases.get(model);
    return target != null && target.isTextual() ? target.asText() : model;
  }
}
