package dev.tollgate.admin;

import static dev.tollgate.auth.Role.INTERNAL_USER;
import static dev.tollgate.auth.Role.INTERNAL_USER_VIEWER;
import static dev.tollgate.auth.Role.PROXY_ADMIN;
import static dev.tollgate.auth.Role.PROXY_ADMIN_VIEWER;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.Principal;
import dev.tollgate.auth.Role;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.keys.VirtualKeyAuthenticator;
import dev.tollgate.store.Entity;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may call each admin route, and over whose data: LiteLLM's roles
 * (docs.litellm.ai/docs/proxy/self_serve), in one place.
 *
 * <ul>
 *   <li>{@code proxy_admin} (and the master key): everything.
 *   <li>{@code proxy_admin_viewer}: reads everything, changes nothing.
 *   <li>{@code internal_user}: creates, reads, changes, regenerates and deletes the keys of its own
 *       user, within its user's limits and teams; reads its own user and spend.
 *   <li>{@code internal_user_viewer}: reads the keys, user and spend of its own user.
 *   <li>any other key: reads its own key and the models it may call.
 * </ul>
 *
 * Every admin route is registered through {@link #access}: a route without a rule here does not
 * start. A refusal is a 403 {@code permission_error} naming the roles the route needs.
 */
final class AdminPolicy {
  private AdminPolicy() {}

  /** What a route asks of the caller's role, and whose data the caller then reaches. */
  enum Access {
    /** proxy_admin only. */
    ADMIN(EnumSet.of(PROXY_ADMIN), EnumSet.of(PROXY_ADMIN)),
    /** Reads of everyone's data. */
    READ_ALL(EnumSet.of(PROXY_ADMIN, PROXY_ADMIN_VIEWER), EnumSet.of(PROXY_ADMIN, PROXY_ADMIN_VIEWER)),
    /** Reads: the admins of everyone's data, the internal users of their own user's. */
    READ_OWN(EnumSet.of(PROXY_ADMIN, PROXY_ADMIN_VIEWER, INTERNAL_USER, INTERNAL_USER_VIEWER), EnumSet.of(PROXY_ADMIN, PROXY_ADMIN_VIEWER)),
    /** Changes to keys: proxy_admin of any key, internal_user of its own user's. */
    WRITE_OWN(EnumSet.of(PROXY_ADMIN, INTERNAL_USER), EnumSet.of(PROXY_ADMIN)),
    /** Any valid key: it reads what is its own (its key, the models it may call); the admins read everything. */
    ANY_KEY(EnumSet.allOf(Role.class), EnumSet.of(PROXY_ADMIN, PROXY_ADMIN_VIEWER));

    /** Roles that may call the route at all. */
    final Set<Role> roles;
    /** Roles that reach everyone's data through it; the others only their own. */
    final Set<Role> everyone;

    Access(Set<Role> roles, Set<Role> everyone) {
      this.roles = roles;
      this.everyone = everyone;
    }

    String needed() {
      List<String> names = roles.stream().map(Role::toString).toList();
      return names.size() == 1 ? "role " + names.get(0) : "one of the roles " + String.join(", ", names);
    }
  }

  private static final Map<String, Access> ROUTES = new HashMap<>();

  static {
    // keys: internal users manage their own; viewers read their own (or, proxy_admin_viewer, all)
    rule(Access.WRITE_OWN, "POST /key/generate", "POST /key/update", "POST /key/delete", "POST /key/regenerate",
        "POST /key/:key/regenerate");
    rule(Access.ANY_KEY, "GET /key/info");
    rule(Access.READ_OWN, "GET /key/list");
    rule(Access.ADMIN, "POST /key/block", "POST /key/unblock");

    // users: each internal user reads itself; only proxy_admin changes users
    rule(Access.READ_OWN, "GET /user/info", "POST /user/info");
    rule(Access.READ_ALL, "GET /user/list");
    rule(Access.ADMIN, "POST /user/new", "POST /user/update", "POST /user/delete");

    // teams, end users, budgets: read by the admins, changed by proxy_admin
    for (String base : List.of("/team", "/customer", "/end_user", "/budget")) {
      rule(Access.READ_ALL, "GET " + base + "/info", "POST " + base + "/info", "GET " + base + "/list");
      rule(Access.ADMIN, "POST " + base + "/new", "POST " + base + "/update", "POST " + base + "/delete");
    }
    rule(Access.ADMIN, "POST /team/block", "POST /team/unblock", "POST /team/member_add", "POST /team/member_delete",
        "POST /customer/block", "POST /customer/unblock", "POST /end_user/block", "POST /end_user/unblock");

    // spend: internal users read their own logs; totals across everyone are for the admins
    rule(Access.READ_OWN, "GET /spend/logs");
    rule(Access.READ_ALL, "GET /global/spend", "GET /global/spend/keys", "GET /global/spend/teams", "GET /global/spend/models",
        "GET /global/spend/end_users", "POST /global/spend/end_users", "GET /global/spend/customers", "POST /global/spend/customers",
        "GET /global/spend/report", "POST /spend/calculate");

    // models: any key reads the models it may call (never a credential); proxy_admin changes them
    rule(Access.ANY_KEY, "GET /model/info", "GET /v1/model/info", "GET /model_group/info");
    rule(Access.ADMIN, "POST /model/new", "POST /model/update", "POST /model/delete");
  }

  private static void rule(Access access, String... routes) {
    for (String route : routes) {
      if (ROUTES.put(route, access) != null) {
        throw new IllegalStateException("two rules for " + route);
      }
    }
  }

  /** The rule of a route ({@code "POST /key/generate"}); a route without one is a programming error. */
  static Access access(String method, String path) {
    Access a = ROUTES.get(method + " " + path);
    if (a == null) {
      throw new IllegalStateException("admin route " + method + " " + path + " has no rule in AdminPolicy");
    }
    return a;
  }

  /**
   * Why the caller may not call the route ({@code route} as registered, {@code path} as called) at
   * all, or null: its key's {@code allowed_routes} (for every role, as LiteLLM), then its role.
   */
  static ApiError refusal(Access access, String route, String path, Principal caller) {
    List<String> allowed = caller.allowedRoutes();
    if (!allowed.isEmpty() && allowed.stream().noneMatch(a -> allows(a, route, path))) {
      // LiteLLM's wording, and what would let the key in
      return forbidden("Virtual key is not allowed to call this route. Only allowed to call routes: " + allowed + ". Tried to call route: "
          + path + ". A key's allowed_routes apply to the admin routes too: name the route, a prefix of it, or one of LiteLLM's "
          + "route groups it is in (" + String.join(", ", groupsOf(route)) + ")", null);
    }
    if (access.roles.contains(caller.role())) {
      return null;
    }
    return forbidden(route + " needs " + access.needed() + "; " + whose(caller) + ".", null);
  }

  /**
   * LiteLLM's route groups ({@code LiteLLMRoutes}) that a key's {@code allowed_routes} may name, with
   * the admin routes each holds (routes as registered). A group not here holds no admin route.
   */
  private static final Map<String, Set<String>> GROUPS = new LinkedHashMap<>();

  static {
    Set<String> keyManagement = Set.of("/key/generate", "/key/update", "/key/delete", "/key/info", "/key/regenerate",
        "/key/:key/regenerate", "/key/list", "/key/block", "/key/unblock", "/spend/logs");
    Set<String> management = new HashSet<>(keyManagement);
    management.addAll(List.of("/user/new", "/user/update", "/user/delete", "/user/info", "/user/list", "/team/new", "/team/update",
        "/team/delete", "/team/list", "/team/info", "/team/block", "/team/unblock", "/model/new", "/model/update", "/model/delete",
        "/model/info"));
    Set<String> modelInfo = Set.of("/model/info", "/v1/model/info");
    GROUPS.put("management_routes", Set.copyOf(management));
    GROUPS.put("key_management_routes", keyManagement);
    GROUPS.put("info_routes", Set.of("/key/info", "/key/list", "/team/info", "/team/list", "/user/info", "/model/info", "/v1/model/info",
        "/model_group/info"));
    GROUPS.put("spend_tracking_routes", Set.of("/spend/calculate", "/spend/logs"));
    GROUPS.put("global_spend_tracking_routes", Set.of("/global/spend", "/global/spend/keys", "/global/spend/teams",
        "/global/spend/end_users", "/global/spend/models", "/global/spend/report"));
    GROUPS.put("llm_api_routes", modelInfo);
    GROUPS.put("model_info_routes", modelInfo);
  }

  /**
   * Whether one {@code allowed_routes} entry lets a key call the route, as LiteLLM matches it: the
   * path itself, a prefix of it up to a {@code /}, a {@code /prefix/*} wildcard, a template
   * ({@code /key/{key_id}/regenerate}), or a route group holding it.
   */
  private static boolean allows(String allowed, String route, String path) {
    if (path.equals(allowed) || path.startsWith(allowed + "/") || GROUPS.getOrDefault(allowed, Set.of()).contains(route)) {
      return true;
    }
    if (allowed.endsWith("*")) {
      return path.startsWith(allowed.substring(0, allowed.length() - 1));
    }
    if (allowed.contains("{")) {
      String[] parts = allowed.split("\\{[^}/]*}", -1);
      StringBuilder regex = new StringBuilder(Pattern.quote(parts[0]));
      for (int i = 1; i < parts.length; i++) {
        regex.append("[^/]+").append(Pattern.quote(parts[i]));
      }
      return path.matches(regex.toString());
    }
    return false;
  }

  /** The route groups a route is in, for the refusal's hint. */
  private static List<String> groupsOf(String route) {
    List<String> out = GROUPS.entrySet().stream().filter(g -> g.getValue().contains(route)).map(Map.Entry::getKey).toList();
    return out.isEmpty() ? List.of("none") : out;
  }

  /** Whose data a call that passed {@link #refusal} may reach. */
  static Scope scope(Access access, Principal caller) {
    return new Scope(caller, access.everyone.contains(caller.role()));
  }

  /** "this key's role is internal_user", or that it has none. */
  private static String whose(Principal caller) {
    return caller.role() == Role.NONE ? "this key has no role (its user has no user_role, or it has no user)"
        : "this key's role is " + caller.role();
  }

  static ApiError forbidden(String message, String param) {
    return new ApiError(403, "permission_error", message, param, "403", null);
  }

  /**
   * What an internal user may change on its own existing keys (/key/update, /key/regenerate): names
   * and labels, nothing that restricts the key or says whose it is. {@code new_key} is
   * /key/regenerate's chosen secret.
   */
  private static final List<String> SELF_SERVICE_SHOWN = List.of("key_alias", "metadata", "tags");
  private static final Set<String> SELF_SERVICE = Set.of("key_alias", "metadata", "tags", "new_key");

  /** Limits a key of an internal user may set no higher than its user has them. */
  private static final List<String> CAPPED = List.of("max_budget", "soft_budget", "tpm_limit", "rpm_limit", "max_parallel_requests");

  /**
   * Whose data a call reaches: everyone's (the admins), or only the caller's own: the keys of its
   * user (internal users), or just its own key (a key with no role, on {@code /key/info}).
   */
  record Scope(Principal caller, boolean everyone) {
    /** Whether the call may see or change the key. */
    boolean owns(Entity key) {
      if (everyone || key.id().equals(caller.keyHash())
          // a key in the grace period of its regeneration calls as its successor, and may read itself too
          || caller.keyHash().equals(key.settings().path(VirtualKeyAuthenticator.REGENERATED_TO).asText(null))) {
        return true;
      }
      return caller.role() != Role.NONE && caller.userId() != null && caller.userId().equals(key.userId());
    }

    /** The key, when the call may see or change it; a 403 otherwise. */
    Entity key(Entity key) {
      if (!owns(key)) {
        throw denied("Another user's key needs role proxy_admin (proxy_admin_viewer to read it)", "key");
      }
      return key;
    }

    /**
     * The user a read is about: the one asked for ({@code user_id}, null for all) when the call
     * reaches everyone's data; otherwise the caller's own user, and a 403 for another.
     */
    String user(String asked) {
      if (everyone) {
        return asked;
      }
      if (caller.userId() == null || (asked != null && !asked.equals(caller.userId()))) {
        throw denied("Another user's data needs role proxy_admin or proxy_admin_viewer", "user_id");
      }
      return caller.userId();
    }

    /**
     * A key body ({@code /key/generate}, {@code /key/update}, {@code /key/regenerate}) of an internal
     * user, checked and completed. A new key is its own user's, in a team it is a member of, with
     * limits no higher than its user's, without {@code aliases} and not blocked. A change to an
     * existing key ({@code creating} false) may only touch {@link #SELF_SERVICE} fields: its
     * restrictions and owners were set by an admin, and are changed by one. {@code team} is the team
     * the body names (null when none or unknown).
     */
    void checkKeyBody(ObjectNode body, boolean creating, Entity user, Entity team) {
      if (everyone) {
        return;
      }
      if (!creating) {
        body.fieldNames().forEachRemaining(field -> {
          if (!SELF_SERVICE.contains(field)) {
            throw denied("Changing " + field + " of a key (even to null or empty) needs role proxy_admin: an internal_user may change only "
                + String.join(", ", SELF_SERVICE_SHOWN) + " of its own keys", field);
          }
        });
        return;
      }
      String own = caller.userId();
      if (body.has("user_id") && !own.equals(EntityAdmin.text(body, "user_id"))) {
        throw denied("User can only create keys for themselves. Got user_id=" + EntityAdmin.text(body, "user_id") + ", Your ID=" + own
            + ". Keys of other users need role proxy_admin", "user_id");
      }
      body.put("user_id", own);
      String teamId = EntityAdmin.text(body, "team_id");
      if (teamId != null && (team == null || !isMember(team, user))) {
        throw denied("User can only create keys for their own team. User=" + own + " is not a member of team=" + teamId
            + ". Keys of other teams need role proxy_admin", "team_id");
      }
      if (body.has("blocked")) {
        throw denied("Blocking or unblocking a key needs role proxy_admin", "blocked");
      }
      if (body.has("aliases")) {
        // an alias sends a model name to another model group: setting them is an admin's decision
        throw denied("Setting aliases of a key needs role proxy_admin", "aliases");
      }
      for (String field : CAPPED) {
        JsonNode asked = body.get(field);
        JsonNode cap = user == null ? null : user.settings().get(field);
        if (asked != null && asked.isNumber() && cap != null && cap.isNumber() && asked.asDouble() > cap.asDouble()) {
          throw denied(field + "=" + asked + " is above the " + field + " of user " + own + " (" + cap
              + "). Higher limits need role proxy_admin", field);
        }
      }
    }

    /** A 403: what the call needed, and what the caller has and reaches. */
    private ApiException denied(String needed, String param) {
      String reach = caller.role() == Role.NONE || caller.userId() == null ? "only itself" : "only user " + caller.userId() + " and its keys";
      return new ApiException(forbidden(needed + "; " + whose(caller) + ", which reaches " + reach + ".", param));
    }

    /** In the team's members_with_roles, or the team in the user's teams (both set by an admin). */
    private static boolean isMember(Entity team, Entity user) {
      if (user == null) {
        return false;
      }
      for (JsonNode m : team.settings().path("members_with_roles")) {
        if (user.id().equals(m.path("user_id").asText(null))) {
          return true;
        }
      }
      for (JsonNode t : user.settings().path("teams")) {
        if (team.id().equals(t.asText())) {
          return true;
        }
      }
      return false;
    }
  }
}
