package dev.tollgate.admin;

import static dev.tollgate.admin.Fields.Type.BOOL;
import static dev.tollgate.admin.Fields.Type.BUDGETS;
import static dev.tollgate.admin.Fields.Type.COUNT;
import static dev.tollgate.admin.Fields.Type.COUNTS;
import static dev.tollgate.admin.Fields.Type.DURATION;
import static dev.tollgate.admin.Fields.Type.NUMBER;
import static dev.tollgate.admin.Fields.Type.OBJECT;
import static dev.tollgate.admin.Fields.Type.STRING;
import static dev.tollgate.admin.Fields.Type.STRINGS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.json.Json;
import dev.tollgate.keys.Accounts;
import dev.tollgate.keys.BudgetPeriods;
import dev.tollgate.store.Database;
import dev.tollgate.store.Entity;
import dev.tollgate.store.EntityStore;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * What every admin entity (key, user, team, end user, budget) shares: the limits and budget
 * fields, create / update / delete / list against the store, and the JSON view LiteLLM returns.
 * Every change is written to the database first, then to this replica's cache.
 */
class EntityAdmin {
  /** Budget and limit fields that keys, users, teams, end users and budgets all accept. */
  static final Fields LIMITS = Fields.of("max_budget", NUMBER, "soft_budget", NUMBER, "budget_duration", DURATION,
      "tpm_limit", COUNT, "rpm_limit", COUNT, "max_parallel_requests", COUNT, "model_max_budget", BUDGETS,
      "model_rpm_limit", COUNTS, "model_tpm_limit", COUNTS, "metadata", OBJECT, "models", STRINGS, "blocked", BOOL,
      "budget_id", STRING, "tags", STRINGS);

  /** Fields kept as columns rather than in settings. */
  private static final Set<String> COLUMN_FIELDS = Set.of("user_id", "team_id", "blocked", "expires");

  /** How one kind is named in the API: id field, alias field, accepted fields. */
  record Kind(String kind, String idField, String aliasField, Fields fields) {}

  final EntityStore store;
  final Accounts accounts;
  final Clock clock;

  EntityAdmin(EntityStore store, Accounts accounts, Clock clock) {
    this.store = store;
    this.accounts = accounts;
    this.clock = clock;
  }

  /** A new entity from a checked body; {@code id} decided by the caller (hash, given id or a fresh UUID). */
  Entity newEntity(Kind k, String id, ObjectNode body) {
    long now = clock.millis();
    ObjectNode settings = settingsOf(k, body);
    String duration = settings.path("budget_duration").asText(null);
    Long reset = duration == null ? null : BudgetPeriods.nextReset(duration, now, "UTC");
    return new Entity(k.kind(), id, text(body, k.aliasField()), k.kind().equals(Entity.USER) || k.kind().equals(Entity.CUSTOMER) ? null : text(body, "user_id"),
        k.kind().equals(Entity.TEAM) ? null : text(body, "team_id"), 0, reset, body.path("blocked").asBoolean(false),
        body.hasNonNull("expires") ? Fields.parseTime("expires", body.get("expires").asText()) : null, settings, now, now);
  }

  /** An entity with the fields of a checked update body applied. */
  Entity updated(Kind k, Entity e, ObjectNode body) {
    long now = clock.millis();
    ObjectNode settings = e.settings().deepCopy();
    settings.setAll(settingsOf(k, body));
    body.fields().forEachRemaining(f -> {
      if (f.getValue().isNull() && !COLUMN_FIELDS.contains(f.getKey())) {
        settings.remove(f.getKey());
      }
    });
    Long reset = e.budgetResetAt();
    if (body.has("budget_duration")) {
      String d = body.path("budget_duration").asText(null);
      reset = d == null || body.get("budget_duration").isNull() ? null : BudgetPeriods.nextReset(d, now, "UTC");
    }
    String alias = body.has(k.aliasField()) ? text(body, k.aliasField()) : e.alias();
    String user = body.has("user_id") && !k.kind().equals(Entity.USER) && !k.kind().equals(Entity.CUSTOMER) ? text(body, "user_id") : e.userId();
    String team = body.has("team_id") && !k.kind().equals(Entity.TEAM) ? text(body, "team_id") : e.teamId();
    boolean blocked = body.has("blocked") ? body.path("blocked").asBoolean(false) : e.blocked();
    Long expires = body.has("expires") ? (body.get("expires").isNull() ? null : Fields.parseTime("expires", body.get("expires").asText())) : e.expires();
    return new Entity(e.kind(), e.id(), alias, user, team, e.spend(), reset, blocked, expires, settings, e.createdAt(), now);
  }

  private static ObjectNode settingsOf(Kind k, ObjectNode body) {
    ObjectNode s = Json.object();
    body.fields().forEachRemaining(f -> {
      String name = f.getKey();
      if (!f.getValue().isNull() && !COLUMN_FIELDS.contains(name) && !name.equals(k.idField()) && !name.equals(k.aliasField())) {
        s.set(name, f.getValue());
      }
    });
    return s;
  }

  void create(Entity e) throws SQLException {
    try {
      store.insert(e);
    } catch (SQLException ex) {
      if (Database.isConstraintViolation(ex)) {
        throw new ApiException(ApiError.badRequest(e.kind() + " '" + e.id() + "' already exists", null));
      }
      throw ex;
    }
    accounts.put(e);
    accounts.changed(e.kind(), e.id());
  }

  void save(Entity e) throws SQLException {
    if (!store.update(e)) {
      throw notFound(e.kind(), e.id());
    }
    accounts.put(e);
    accounts.changed(e.kind(), e.id());
  }

  Entity find(String kind, String id) throws SQLException {
    if (id == null) {
      throw new ApiException(ApiError.badRequest("which " + kind + "? the id is missing", null));
    }
    return store.get(kind, id).orElseThrow(() -> notFound(kind, id));
  }

  List<String> delete(String kind, List<String> ids) throws SQLException {
    List<String> deleted = new ArrayList<>();
    for (String id : ids) {
      if (store.delete(kind, List.of(id)) > 0) {
        accounts.remove(kind, id);
        accounts.changed(kind, id);
        deleted.add(id);
      }
    }
    return deleted;
  }

  static ApiException notFound(String kind, String id) {
    return new ApiException(new ApiError(404, "not_found_error", kind + " '" + id + "' not found", null, "404", null));
  }

  /** The JSON LiteLLM returns for an entity: its settings, id, alias, owners, spend and times. */
  ObjectNode view(Kind k, Entity e) {
    ObjectNode v = Json.object();
    v.put(k.idField(), e.id());
    if (k.aliasField() != null) {
      v.put(k.aliasField(), e.alias());
    }
    if (!k.kind().equals(Entity.USER) && !k.kind().equals(Entity.CUSTOMER)) {
      v.put("user_id", e.userId());
    }
    if (!k.kind().equals(Entity.TEAM)) {
      v.put("team_id", e.teamId());
    }
    v.setAll(e.settings());
    v.put("spend", Math.max(e.spend(), accounts.spent(e.kind(), e.id())));
    v.put("blocked", e.blocked());
    putTime(v, "expires", e.expires());
    putTime(v, "budget_reset_at", e.budgetResetAt());
    putTime(v, "created_at", e.createdAt());
    putTime(v, "updated_at", e.updatedAt());
    for (String listField : List.of("models", "tags")) {
      if (!v.has(listField)) {
        v.putArray(listField);
      }
    }
    return v;
  }

  static void putTime(ObjectNode v, String field, Long ms) {
    if (ms == null) {
      v.putNull(field);
    } else {
      v.put(field, Instant.ofEpochMilli(ms).toString());
    }
  }

  static String text(JsonNode body, String field) {
    JsonNode n = field == null ? null : body.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  static String newId() {
    return UUID.randomUUID().toString();
  }

  /** Ids from a list field (e.g. {@code user_ids}), required. */
  static List<String> ids(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isArray() || n.isEmpty()) {
      throw new ApiException(ApiError.badRequest("'" + field + "' is required: a non-empty list of ids", field));
    }
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out;
  }

  ArrayNode views(Kind k, List<Entity> entities) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    entities.forEach(e -> a.add(view(k, e)));
    return a;
  }
}
