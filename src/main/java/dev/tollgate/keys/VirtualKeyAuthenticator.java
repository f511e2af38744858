package dev.tollgate.keys;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.auth.ApiKeys;
import dev.tollgate.auth.Authenticator;
import dev.tollgate.auth.MasterKeyAuthenticator;
import dev.tollgate.auth.Principal;
import dev.tollgate.auth.Role;
import dev.tollgate.limits.ModelAccess;
import dev.tollgate.limits.UnmeteredAccess;
import dev.tollgate.store.Entity;
import io.vertx.core.MultiMap;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The master key, then virtual keys from the in-memory {@link Accounts} (no database call). A key
 * the cache does not know while the database is unreachable (or not loaded yet) gets 503, not a
 * false 401: it may well exist.
 */
public final class VirtualKeyAuthenticator implements Authenticator {
  static final String DB_UNAVAILABLE = "This API key cannot be checked right now: the gateway's database is unreachable and "
      + "the key is not in its cache. Keys used recently keep working; try again when the database is back.";

  /** Setting of a key regenerated with a grace period: its successor's hash. */
  public static final String REGENERATED_TO = "regenerated_to";
  private static final int MAX_REGENERATIONS = 16;

  private final MasterKeyAuthenticator master;
  private final Accounts accounts;
  private final Clock clock;
  private final ModelAccess access;

  public VirtualKeyAuthenticator(MasterKeyAuthenticator master, Accounts accounts, ModelAccess access, Clock clock) {
    this.master = master;
    this.accounts = accounts;
    this.access = access;
    this.clock = clock;
  }

  @Override
  public Result authenticate(String presentedKey, MultiMap headers) {
    Result byMaster = master.authenticate(presentedKey, headers);
    if (byMaster instanceof Result.Allowed || !master.hasMasterKey() || presentedKey == null || presentedKey.isEmpty()) {
      return byMaster;
    }
    String hash = ApiKeys.sha256Hex(presentedKey);
    Entity key = accounts.get(Entity.KEY, hash);
    if (key == null) {
      if (!accounts.loaded() || !accounts.databaseReachable()) {
        return new Result.Denied(503, DB_UNAVAILABLE);
      }
      return byMaster;
    }
    long now = clock.millis();
    Result refused = refusal(key, now);
    // a key regenerated with a grace period acts as its successor until the grace ends: one
    // budget, one set of rate limits, one spend for the two secrets
    for (int hops = 0; refused == null && key.settings().hasNonNull(REGENERATED_TO); hops++) {
      key = hops < MAX_REGENERATIONS ? accounts.get(Entity.KEY, key.settings().get(REGENERATED_TO).asText()) : null;
      if (key == null) {
        return byMaster; // the successor was deleted: the old secret goes with it
      }
      refused = refusal(key, now);
    }
    if (refused != null) {
      return refused;
    }
    Entity team = accounts.get(Entity.TEAM, key.teamId());
    if (team != null && team.blocked()) {
      return new Result.Denied(401, "Authentication error: the team of this key is blocked.");
    }
    Entity user = accounts.get(Entity.USER, key.userId());
    Role role = user == null ? Role.NONE : Role.of(user.settings().path("user_role").asText(null));
    JsonNode aliases = key.settings().get("aliases");
    return new Result.Allowed(new Principal(key.id(), role, key.userId(),
        aliases != null && aliases.isObject() && !aliases.isEmpty() ? aliases : null, key.alias(), key.teamId(),
        team == null ? null : team.alias(), allowedRoutes(key)));
  }

  @Override
  public boolean mayCall(Principal caller, String modelGroup) {
    return access.mayCall(caller, modelGroup);
  }

  @Override
  public boolean mayCall(Principal caller, String requested, String modelGroup) {
    return access.mayCall(caller, requested, modelGroup);
  }

  @Override
  public String unmeteredRefusal(Principal caller) {
    if (caller.admin()) {
      return null;
    }
    Entity key = accounts.get(Entity.KEY, caller.keyHash());
    if (key == null) {
      return "This key is not known any more.";
    }
    return UnmeteredAccess.refusal(key, accounts.get(Entity.USER, key.userId()), accounts.get(Entity.TEAM, key.teamId()));
  }

  private static List<String> allowedRoutes(Entity key) {
    JsonNode routes = key.settings().get("allowed_routes");
    // most keys have none: no list made for them on every request
    return routes == null || routes.isEmpty() ? List.of() : List.copyOf(ModelAccess.strings(routes));
  }

  private static Result refusal(Entity key, long now) {
    if (key.blocked()) {
      return new Result.Denied(401, "Authentication error: this key is blocked. Unblock it with /key/unblock.");
    }
    if (key.expires() != null && key.expires() <= now) {
      // LiteLLM's status, type and wording, which clients match on
      return new Result.Denied(400, "expired_key", "Authentication Error - Expired Key. Key Expiry time "
          + Instant.ofEpochMilli(key.expires()) + " and current time " + Instant.ofEpochMilli(now));
    }
    return null;
  }
}
