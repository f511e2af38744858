package dev.tollgate.admin;

import static dev.tollgate.admin.Fields.Type.ANY;
import static dev.tollgate.admin.Fields.Type.BOOL;
import static dev.tollgate.admin.Fields.Type.DURATION;
import static dev.tollgate.admin.Fields.Type.OBJECT;
import static dev.tollgate.admin.Fields.Type.STRING;
import static dev.tollgate.admin.Fields.Type.STRINGS;
import static dev.tollgate.admin.Fields.Type.TIME;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.ApiKeys;
import dev.tollgate.auth.Principal;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.json.Json;
import dev.tollgate.keys.Accounts;
import dev.tollgate.keys.BudgetPeriods;
import dev.tollgate.keys.VirtualKeyAuthenticator;
import dev.tollgate.server.GatewayVerticle;
import dev.tollgate.store.Database;
import dev.tollgate.store.Entity;
import dev.tollgate.store.EntityStore;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LiteLLM's admin API for keys ({@code /key/*}), users ({@code /user/*}), teams ({@code /team/*}),
 * end users ({@code /customer/*}, alias {@code /end_user/*}) and budgets ({@code /budget/*}).
 * Handlers run on a worker (they talk to the database), never on an event loop.
 */
public final class AdminRoutes extends EntityAdmin implements GatewayVerticle.RouteContributor {
  private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  static final Kind KEY = new Kind(Entity.KEY, "token", "key_alias", LIMITS.plus("key_alias", STRING, "duration", DURATION,
      "user_id", STRING, "team_id", STRING, "allowed_routes", STRINGS, "expires", TIME, "key", STRING, "aliases", OBJECT,
      "config", OBJECT, "permissions", OBJECT, "guardrails", STRINGS, "send_invite_email", BOOL, "key_type", STRING,
      "grace_period", DURATION, "new_key", STRING));
  static final Kind USER = new Kind(Entity.USER, "user_id", "user_alias", LIMITS.plus("user_id", STRING, "user_alias", STRING,
      "user_email", STRING, "user_role", STRING, "teams", STRINGS, "auto_create_key", BOOL, "send_invite_email", BOOL,
      "password", ANY, "organization_id", STRING));
  static final Kind TEAM = new Kind(Entity.TEAM, "team_id", "team_alias", LIMITS.plus("team_id", STRING, "team_alias", STRING,
      "members_with_roles", ANY, "members", ANY, "admins", ANY, "organization_id", STRING, "guardrails", STRINGS));
  static final Kind CUSTOMER = new Kind(Entity.CUSTOMER, "user_id", "alias", LIMITS.plus("user_id", STRING, "alias", STRING,
      "allowed_model_region", STRING, "default_model", STRING));
  static final Kind BUDGET = new Kind(Entity.BUDGET, "budget_id", null, LIMITS.minus("budget_id", "models", "blocked", "tags", "metadata")
      .plus("budget_id", STRING, "budget_reset_at", TIME));
  private static final List<String> ROLES = List.of("proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer", "team", "customer");

  /** What a handler gets: the checked body (or {}), the query parameters, who calls and whose data it reaches. */
  record Req(ObjectNode body, MultiMap params, Principal caller, AdminPolicy.Scope scope) {
    String param(String name) {
      String v = params.get(name);
      return v != null ? v : EntityAdmin.text(body, name);
    }
  }

  @FunctionalInterface
  interface Handler {
    JsonNode handle(Req req) throws Exception;
  }

  @FunctionalInterface
  private interface Write {
    void run() throws SQLException;
  }

  private final SpendAdmin spend;
  private final ModelAdmin models;
  private final Object keyAliases = new Object();

  public AdminRoutes(EntityStore store, Accounts accounts, Clock clock, SpendAdmin spend, ModelAdmin models) {
    super(store, accounts, clock);
    this.spend = spend;
    this.models = models;
  }

  @Override
  public void register(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport s) {
    post(web, s, "/key/generate", r -> generate(ownKeyBody(r, KEY.fields().minus("grace_period", "new_key").check(r.body()), true), null));
    post(web, s, "/key/update", r -> updateKey(r, KEY.fields().minus("grace_period", "new_key", "duration").plus("duration", DURATION).check(r.body())));
    post(web, s, "/key/delete", this::deleteKeys);
    get(web, s, "/key/info", this::keyInfo);
    get(web, s, "/key/list", this::listKeys);
    post(web, s, "/key/block", r -> blockKey(r, true));
    post(web, s, "/key/unblock", r -> blockKey(r, false));
    post(web, s, "/key/regenerate", this::regenerate);
    route(web, s, HttpMethod.POST, "/key/:key/regenerate", (rc, r) -> {
      r.body().put("key", rc.pathParam("key"));
      return regenerate(r);
    });

    entityRoutes(web, s, "/user", USER, "user_ids");
    entityRoutes(web, s, "/team", TEAM, "team_ids");
    for (String base : List.of("/customer", "/end_user")) {
      entityRoutes(web, s, base, CUSTOMER, "user_ids");
      post(web, s, base + "/block", r -> blockMany(CUSTOMER, ids(r.body(), "user_ids"), true));
      post(web, s, base + "/unblock", r -> blockMany(CUSTOMER, ids(r.body(), "user_ids"), false));
    }
    entityRoutes(web, s, "/budget", BUDGET, "id");
    post(web, s, "/team/block", r -> blockMany(TEAM, List.of(required(r, "team_id")), true).get(0));
    post(web, s, "/team/unblock", r -> blockMany(TEAM, List.of(required(r, "team_id")), false).get(0));
    post(web, s, "/team/member_add", this::memberAdd);
    post(web, s, "/team/member_delete", this::memberDelete);
    spend.register(web, s, this);
    models.register(web, s, this);
  }

  private void entityRoutes(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport s, String base, Kind k, String deleteField) {
    post(web, s, base + "/new", r -> create(k, checked(k, r.body())));
    post(web, s, base + "/update", r -> update(k, checked(k, r.body())));
    post(web, s, base + "/delete", r -> {
      Fields.of(deleteField, k == BUDGET ? STRING : STRINGS).check(r.body());
      List<String> ids = k == BUDGET ? List.of(required(r, "id")) : ids(r.body(), deleteField);
      for (String id : ids) {
        find(k.kind(), id);
      }
      ObjectNode out = Json.object();
      out.set("deleted_" + deleteField.replace("_ids", "s").replace("id", "ids"), Json.MAPPER.valueToTree(delete(k.kind(), ids)));
      return out;
    });
    get(web, s, base + "/info", r -> info(k, r));
    post(web, s, base + "/info", r -> info(k, r));
    get(web, s, base + "/list", r -> list(k, r));
  }

  // --- keys ---

  private ObjectNode generate(ObjectNode body, Entity copyOf) throws SQLException {
    String plain = body.hasNonNull("key") ? body.get("key").asText() : newKey();
    if (!plain.startsWith("sk-")) {
      throw Fields.bad("key: a custom key must start with \"sk-\"", "key");
    }
    body.remove("key");
    String hash = ApiKeys.sha256Hex(plain);
    Entity e = newEntity(KEY, hash, body);
    Long expires = e.expires();
    if (body.hasNonNull("duration")) {
      expires = clock.millis() + BudgetPeriods.parse(body.get("duration").asText()).toMillis();
    }
    e.settings().put("key_name", "sk-..." + plain.substring(plain.length() - 4));
    if (copyOf != null) {
      ObjectNode settings = copyOf.settings().deepCopy().put("key_name", "sk-..." + plain.substring(plain.length() - 4));
      settings.remove(VirtualKeyAuthenticator.REGENERATED_TO);
      e = new Entity(Entity.KEY, hash, copyOf.alias(), copyOf.userId(), copyOf.teamId(), accounts.spent(Entity.KEY, copyOf.id()),
          copyOf.budgetResetAt(), copyOf.blocked(), copyOf.expires(), settings, clock.millis(), clock.millis());
      e = updated(KEY, e, body);
    } else {
      e = new Entity(e.kind(), e.id(), e.alias(), e.userId(), e.teamId(), 0, e.budgetResetAt(), e.blocked(), expires, e.settings(), e.createdAt(), e.updatedAt());
    }
    Entity created = e;
    // a regenerated key takes over its predecessor's alias
    withUniqueAlias(created.alias(), copyOf != null ? copyOf.id() : created.id(), () -> create(created));
    ObjectNode v = keyView(e);
    v.put("key", plain);
    return v;
  }

  private ObjectNode keyView(Entity e) {
    ObjectNode v = view(KEY, e);
    v.put("token_id", e.id());
    return v;
  }

  private static String newKey() {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    return "sk-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * Writes a key after checking that no other key (but {@code exceptId}) has its alias, as LiteLLM
   * does: tools find and rotate keys by alias. The check and the write are serialised on this
   * replica, so concurrent calls with one alias cannot both pass.
   */
  private void withUniqueAlias(String alias, String exceptId, Write write) throws SQLException {
    if (alias == null) {
      write.run();
      return;
    }
    synchronized (keyAliases) {
      if (store.aliasTaken(Entity.KEY, alias, exceptId)) {
        throw Fields.bad("Key with alias '" + alias + "' already exists. Unique key aliases across all keys are required.", "key_alias");
      }
      write.run();
    }
  }

  /** A key given as {@code sk-...} (hashed here) or as its hash (token). */
  private Entity findKey(String given) throws SQLException {
    if (given == null || given.isBlank()) {
      throw Fields.bad("'key' is required: the key (sk-...) or its token", "key");
    }
    return find(Entity.KEY, given.startsWith("sk-") ? ApiKeys.sha256Hex(given) : given);
  }

  /** A key body as the caller may send it: an internal user's checked against its user and teams (see AdminPolicy). */
  private ObjectNode ownKeyBody(Req r, ObjectNode body, boolean creating) throws SQLException {
    if (!r.scope().everyone()) {
      Entity user = store.get(Entity.USER, r.caller().userId()).orElse(null);
      String teamId = EntityAdmin.text(body, "team_id");
      Entity team = teamId == null ? null : store.get(Entity.TEAM, teamId).orElse(null);
      r.scope().checkKeyBody(body, creating, user, team);
    }
    return body;
  }

  private JsonNode updateKey(Req r, ObjectNode body) throws SQLException {
    Entity e = r.scope().key(findKey(EntityAdmin.text(body, "key")));
    body.remove("key");
    ownKeyBody(r, body, false);
    Entity u = updated(KEY, e, body);
    if (body.hasNonNull("duration")) {
      u = new Entity(u.kind(), u.id(), u.alias(), u.userId(), u.teamId(), u.spend(), u.budgetResetAt(), u.blocked(),
          clock.millis() + BudgetPeriods.parse(body.get("duration").asText()).toMillis(), u.settings(), u.createdAt(), u.updatedAt());
      u.settings().remove("duration");
    }
    Entity changed = u;
    withUniqueAlias(body.hasNonNull("key_alias") ? changed.alias() : null, changed.id(), () -> save(changed));
    return keyView(u);
  }

  private JsonNode deleteKeys(Req r) throws SQLException {
    Fields.of("keys", STRINGS, "key_aliases", STRINGS).check(r.body());
    List<String> hashes = new ArrayList<>();
    if (r.body().has("keys")) {
      for (String k : ids(r.body(), "keys")) {
        hashes.add(r.scope().key(findKey(k)).id());
      }
    }
    if (r.body().has("key_aliases")) {
      for (String alias : ids(r.body(), "key_aliases")) {
        hashes.add(r.scope().key(store.byAlias(Entity.KEY, alias).orElseThrow(() -> notFound("key with alias", alias))).id());
      }
    }
    if (hashes.isEmpty()) {
      throw Fields.bad("'keys' or 'key_aliases' is required", "keys");
    }
    delete(Entity.KEY, hashes);
    ObjectNode out = Json.object();
    out.set("deleted_keys", r.body().has("keys") ? r.body().get("keys") : Json.MAPPER.valueToTree(hashes));
    return out;
  }

  private JsonNode keyInfo(Req r) throws SQLException {
    String given = r.param("key");
    Entity e = r.scope().key(given == null ? find(Entity.KEY, r.caller().keyHash()) : findKey(given));
    ObjectNode out = Json.object();
    out.put("key", given == null ? e.id() : given);
    out.set("info", keyView(e));
    return out;
  }

  private JsonNode listKeys(Req r) throws SQLException {
    int page = intParam(r, "page", 1);
    int size = Math.min(intParam(r, "size", 10), 100);
    String user = r.scope().user(r.param("user_id"));
    String team = r.param("team_id");
    String alias = r.param("key_alias");
    List<Entity> keys = alias != null ? store.byAlias(Entity.KEY, alias).filter(r.scope()::owns).stream().toList()
        : store.list(Entity.KEY, user, team, (page - 1) * size, size);
    long total = alias != null ? keys.size() : store.count(Entity.KEY, user, team);
    ObjectNode out = Json.object();
    ArrayNode arr = out.putArray("keys");
    boolean full = "true".equalsIgnoreCase(r.param("return_full_object"));
    for (Entity k : keys) {
      if (full) {
        arr.add(keyView(k));
      } else {
        arr.add(k.id());
      }
    }
    out.put("total_count", total);
    out.put("current_page", page);
    out.put("total_pages", (total + size - 1) / size);
    return out;
  }

  private JsonNode blockKey(Req r, boolean blocked) throws SQLException {
    Fields.of("key", STRING).check(r.body());
    Entity e = findKey(r.param("key"));
    Entity u = e.withBlocked(blocked, clock.millis());
    save(u);
    return keyView(u);
  }

  /**
   * A new key with the old one's settings and spend; the old key stops working now, or after
   * {@code grace_period} (it stays valid until then, so clients can roll over).
   */
  private JsonNode regenerate(Req r) throws SQLException {
    ObjectNode body = KEY.fields().check(r.body());
    Entity old = r.scope().key(findKey(EntityAdmin.text(body, "key")));
    String grace = EntityAdmin.text(body, "grace_period");
    body.remove("key");
    body.remove("grace_period");
    ownKeyBody(r, body, false);
    if (body.has("new_key")) {
      body.set("key", body.remove("new_key"));
    }
    ObjectNode fresh = generate(body, old);
    if (grace == null) {
      delete(Entity.KEY, List.of(old.id()));
    } else {
      long until = clock.millis() + BudgetPeriods.parse(grace).toMillis();
      save(new Entity(old.kind(), old.id(), old.alias() == null ? null : old.alias() + " (regenerated)", old.userId(), old.teamId(),
          old.spend(), null, old.blocked(), old.expires() == null ? until : Math.min(old.expires(), until),
          old.settings().deepCopy().put(VirtualKeyAuthenticator.REGENERATED_TO, fresh.get("token_id").asText()), old.createdAt(), clock.millis()));
    }
    return fresh;
  }

  // --- users, teams, end users, budgets ---

  /** A /new or /update body checked: its fields, and a user's {@code user_role}. */
  private static ObjectNode checked(Kind k, JsonNode body) {
    ObjectNode checked = k.fields().check(body);
    if (k == USER && checked.hasNonNull("user_role") && !ROLES.contains(checked.get("user_role").asText())) {
      throw Fields.bad("user_role: expected one of " + ROLES, "user_role");
    }
    return checked;
  }

  private JsonNode create(Kind k, ObjectNode body) throws SQLException {
    String id = EntityAdmin.text(body, k.idField());
    if (k == CUSTOMER && id == null) {
      throw Fields.bad("'user_id' is required: the end user's id (the request's 'user' field)", "user_id");
    }
    Entity e = newEntity(k, id == null ? newId() : id, body);
    create(e);
    ObjectNode v = view(k, e);
    if (k == USER && body.path("auto_create_key").asBoolean(true)) {
      ObjectNode keyBody = Json.object().put("user_id", e.id());
      if (body.has("models")) {
        keyBody.set("models", body.get("models"));
      }
      v.put("key", generate(keyBody, null).get("key").asText());
    }
    return v;
  }

  private JsonNode update(Kind k, ObjectNode body) throws SQLException {
    Entity e = find(k.kind(), EntityAdmin.text(body, k.idField()));
    Entity u = updated(k, e, body);
    save(u);
    return view(k, u);
  }

  private JsonNode info(Kind k, Req r) throws SQLException {
    String id = k == CUSTOMER ? firstNonNull(r.param("end_user_id"), r.param("user_id")) : r.param(k.idField());
    if (k == BUDGET && r.body().has("budgets")) {
      ArrayNode out = Json.MAPPER.createArrayNode();
      for (String b : ids(r.body(), "budgets")) {
        out.add(view(k, find(k.kind(), b)));
      }
      return out;
    }
    if (k == USER) {
      id = r.scope().user(id);
    }
    if (k == USER && id == null) {
      id = store.get(Entity.KEY, r.caller().keyHash()).map(Entity::userId).orElse(null);
    }
    Entity e = find(k.kind(), id);
    if (k == CUSTOMER || k == BUDGET) {
      return view(k, e);
    }
    ObjectNode out = Json.object();
    out.put(k.idField(), e.id());
    out.set(k == USER ? "user_info" : "team_info", view(k, e));
    List<Entity> keys = store.list(Entity.KEY, k == USER ? e.id() : null, k == TEAM ? e.id() : null, 0, 1000);
    ArrayNode arr = out.putArray("keys");
    keys.forEach(key -> arr.add(keyView(key)));
    if (k == USER) {
      out.set("teams", e.settings().has("teams") ? e.settings().get("teams") : Json.MAPPER.createArrayNode());
    }
    return out;
  }

  private JsonNode list(Kind k, Req r) throws SQLException {
    int page = intParam(r, "page", 1);
    int size = Math.min(intParam(r, "page_size", 100), 1000);
    List<Entity> rows = store.list(k.kind(), null, null, (page - 1) * size, size);
    if (k != USER) {
      return views(k, rows);
    }
    long total = store.count(k.kind(), null, null);
    ObjectNode out = Json.object();
    out.set("users", views(k, rows));
    out.put("total", total);
    out.put("page", page);
    out.put("page_size", size);
    out.put("total_pages", (total + size - 1) / size);
    return out;
  }

  private ArrayNode blockMany(Kind k, List<String> ids, boolean blocked) throws SQLException {
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (String id : ids) {
      Entity e = find(k.kind(), id);
      Entity u = e.withBlocked(blocked, clock.millis());
      save(u);
      out.add(view(k, u));
    }
    return out;
  }

  // member_add and member_delete read, change and write the team's member list: one at a time on this replica
  private synchronized JsonNode memberAdd(Req r) throws SQLException {
    if (r.body().has("max_budget_in_team")) {
      throw Fields.bad("max_budget_in_team (a budget per member of a team) is not supported by Tollgate: set max_budget on the "
          + "member's user or keys instead", "max_budget_in_team");
    }
    ObjectNode body = Fields.of("team_id", STRING, "member", ANY).check(r.body());
    Entity team = find(Entity.TEAM, required(r, "team_id"));
    JsonNode member = body.get("member");
    List<JsonNode> members = new ArrayList<>();
    if (member != null && member.isArray()) {
      member.forEach(members::add);
    } else if (member != null && member.isObject()) {
      members.add(member);
    } else {
      throw Fields.bad("'member' is required: {role, user_id} or a list of them", "member");
    }
    ObjectNode settings = team.settings().deepCopy();
    ArrayNode list = settings.has("members_with_roles") && settings.get("members_with_roles").isArray()
        ? (ArrayNode) settings.get("members_with_roles") : settings.putArray("members_with_roles");
    for (JsonNode m : members) {
      if (!m.hasNonNull("user_id") && !m.hasNonNull("user_email")) {
        throw Fields.bad("member: user_id or user_email is required", "member");
      }
      String dup = m.hasNonNull("user_id") ? "user_id" : "user_email";
      for (JsonNode existing : list) {
        if (m.get(dup).asText().equals(existing.path(dup).asText(null))) {
          throw Fields.bad("User=" + m.get(dup).asText() + " already in team " + team.id(), "member");
        }
      }
      ObjectNode entry = Json.object().put("role", m.path("role").asText("user"));
      entry.set("user_id", m.get("user_id"));
      entry.set("user_email", m.get("user_email"));
      list.add(entry);
    }
    Entity u = team.withSettings(settings, clock.millis());
    save(u);
    for (JsonNode m : members) {
      userTeams(m.path("user_id").asText(null), m.path("user_email").asText(null), team.id(), true);
    }
    return view(TEAM, u);
  }

  /**
   * As LiteLLM: a team's member has the team in its user's {@code teams}; a member added by a user
   * id that is not a user yet becomes one.
   */
  private void userTeams(String userId, String userEmail, String teamId, boolean join) throws SQLException {
    if (userId == null) {
      return;
    }
    Entity user = store.get(Entity.USER, userId).orElse(null);
    if (user == null) {
      if (join) {
        ObjectNode body = Json.object().put("user_id", userId);
        if (userEmail != null) {
          body.put("user_email", userEmail);
        }
        body.putArray("teams").add(teamId);
        create(newEntity(USER, userId, body));
      }
      return;
    }
    ObjectNode settings = user.settings().deepCopy();
    ArrayNode teams = Json.MAPPER.createArrayNode();
    settings.path("teams").forEach(t -> {
      if (!t.asText().equals(teamId)) {
        teams.add(t);
      }
    });
    if (join) {
      teams.add(teamId);
    }
    settings.set("teams", teams);
    save(user.withSettings(settings, clock.millis()));
  }

  private synchronized JsonNode memberDelete(Req r) throws SQLException {
    ObjectNode body = Fields.of("team_id", STRING, "user_id", STRING, "user_email", STRING).check(r.body());
    Entity team = find(Entity.TEAM, required(r, "team_id"));
    ObjectNode settings = team.settings().deepCopy();
    ArrayNode kept = Json.MAPPER.createArrayNode();
    settings.path("members_with_roles").forEach(m -> {
      boolean match = (body.hasNonNull("user_id") && body.get("user_id").asText().equals(m.path("user_id").asText(null)))
          || (body.hasNonNull("user_email") && body.get("user_email").asText().equals(m.path("user_email").asText(null)));
      if (!match) {
        kept.add(m);
      }
    });
    settings.set("members_with_roles", kept);
    Entity u = team.withSettings(settings, clock.millis());
    save(u);
    userTeams(body.path("user_id").asText(null), null, team.id(), false);
    return view(TEAM, u);
  }

  private static String required(Req r, String field) {
    String v = r.param(field);
    if (v == null) {
      throw Fields.bad("'" + field + "' is required", field);
    }
    return v;
  }

  private static String firstNonNull(String a, String b) {
    return a != null ? a : b;
  }

  static int intParam(Req r, String name, int fallback) {
    String v = r.param(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw Fields.bad(name + ": expected a whole number >= 1", name);
    }
  }

  // --- plumbing ---

  void post(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport s, String path, Handler h) {
    route(web, s, HttpMethod.POST, path, (rc, r) -> h.handle(r));
  }

  void get(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport s, String path, Handler h) {
    route(web, s, HttpMethod.GET, path, (rc, r) -> h.handle(r));
  }

  @FunctionalInterface
  private interface ContextHandler {
    JsonNode handle(RoutingContext rc, Req req) throws Exception;
  }

  /** An admin route: any valid key gets in, then {@link AdminPolicy} decides what its role may do. */
  private static void route(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport s, HttpMethod method, String path, ContextHandler h) {
    AdminPolicy.Access access = AdminPolicy.access(method.name(), path);
    var route = web.route(method, path);
    if (method == HttpMethod.POST) {
      route.handler(s.body());
    }
    route.handler(s.authenticated()).handler(rc -> run(rc, path, access, r -> h.handle(rc, r)));
  }

  /** Parses the body on the event loop, runs the handler on a worker, writes JSON or an OpenAI error. */
  private static void run(RoutingContext rc, String path, AdminPolicy.Access access, Handler h) {
    Principal caller = rc.get("tollgate.principal");
    ApiError refused = AdminPolicy.refusal(access, path, rc.request().path(), caller);
    if (refused != null) {
      refused.writeTo(rc.response());
      return;
    }
    ObjectNode body;
    var raw = rc.body() == null ? null : rc.body().buffer();
    if (raw == null || raw.length() == 0) {
      body = Json.object();
    } else {
      JsonNode parsed = Json.tryParse(raw);
      if (!(parsed instanceof ObjectNode obj)) {
        ApiError.badRequest("Request body must be a JSON object", null).writeTo(rc.response());
        return;
      }
      body = obj;
    }
    Req req = new Req(body, rc.queryParams(), caller, AdminPolicy.scope(access, caller));
    rc.vertx().executeBlocking(() -> h.handle(req), false).onComplete(ar -> {
      if (ar.succeeded()) {
        rc.response().putHeader("content-type", "application/json").end(Json.buffer(ar.result()));
        return;
      }
      Throwable t = ar.cause();
      if (t instanceof ApiException ae) {
        ae.error().writeTo(rc.response());
      } else if (t instanceof SQLException se && Database.isConstraintViolation(se)) {
        new ApiError(409, "invalid_request_error", "The change conflicts with an entry that already exists; nothing was changed.", null, "409", null)
            .writeTo(rc.response());
      } else if (t instanceof SQLException) {
        log.warn("admin {} failed: database error: {}", rc.request().path(), t.getMessage());
        ApiError.of(503, "The database is unavailable; the change was not made. Try again when it is back.").writeTo(rc.response());
      } else {
        log.error("admin {} failed", rc.request().path(), t);
        ApiError.of(500, "Internal error in the gateway").writeTo(rc.response());
      }
    });
  }
}
