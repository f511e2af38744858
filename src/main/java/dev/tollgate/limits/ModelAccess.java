package dev.tollgate.limits;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.auth.Principal;
import dev.tollgate.keys.Accounts;
import dev.tollgate.provider.Deployment;
import dev.tollgate.router.Router;
import dev.tollgate.store.Entity;
import java.util.ArrayList;
import java.util.List;

/**
 * Which model groups a key may call: the {@code models} of the key, of its user and of its team
 * each restrict it (empty means all); an entry is a model name, an {@code access_groups} name of
 * the group's deployments, {@code *} or {@code all-proxy-models}. The request path refuses with it,
 * {@code /model/info} lists with it. From memory only.
 */
public final class ModelAccess {
  private final Accounts accounts;
  private final Router router;

  public ModelAccess(Accounts accounts, Router router) {
    this.accounts = accounts;
    this.router = router;
  }

  /** The first of key, user and team (each may be null) whose {@code models} do not include the group; null when none refuses. */
  public Entity refusing(Entity key, Entity user, Entity team, String group) {
    for (Entity e : new Entity[] {key, user, team}) {
      if (e != null) {
        List<String> models = models(e);
        if (!allowsAll(models) && !allows(models, group)) {
          return e;
        }
      }
    }
    return null;
  }

  /**
   * As {@link #refusing(Entity, Entity, Entity, String)} for a request naming {@code requested} that
   * the key's {@code aliases} sent to {@code group}. An alias renames, it never widens access: the
   * user's and the team's {@code models} must allow the group itself, whatever the alias is called.
   * The key's own {@code models} may allow it by either name: an alias named there is LiteLLM's
   * upgrade/downgrade of models per key ({@code {"models": ["free-tier"], "aliases": {"free-tier":
   * ...}}}), and a key's aliases are set by an admin only.
   */
  public Entity refusing(Entity key, Entity user, Entity team, String requested, String group) {
    if (requested.equals(group)) {
      return refusing(key, user, team, group);
    }
    if (key != null && refusing(key, null, null, group) != null && refusing(key, null, null, requested) != null) {
      return key;
    }
    return refusing(null, user, team, group);
  }

  /** Whether the caller may call the group: an admin may call any; a virtual key as on the request path. */
  public boolean mayCall(Principal caller, String group) {
    return mayCall(caller, group, group);
  }

  /** Whether the caller may call a model name its aliases send to {@code group}, as on the request path. */
  public boolean mayCall(Principal caller, String requested, String group) {
    if (caller.admin()) {
      return true;
    }
    Entity key = accounts.get(Entity.KEY, caller.keyHash());
    return key != null && refusing(key, accounts.get(Entity.USER, key.userId()), accounts.get(Entity.TEAM, key.teamId()), requested, group) == null;
  }

  static List<String> models(Entity e) {
    return strings(e.settings().get("models"));
  }

  /** Whether a {@code models} list restricts nothing: empty, {@code *} or {@code all-proxy-models}. */
  static boolean allowsAll(List<String> models) {
    return models.isEmpty() || models.contains("*") || models.contains("all-proxy-models");
  }

  private boolean allows(List<String> models, String group) {
    if (models.contains(group)) {
      return true;
    }
    for (Deployment d : router.group(group).orElse(List.of())) {
      for (String g : strings(d.modelInfo().get("access_groups"))) {
        if (models.contains(g)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The texts of a JSON array (empty for anything else). */
  public static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n != null && n.isArray()) {
      n.forEach(x -> out.add(x.asText()));
    }
    return out;
  }
}
