package dev.tollgate.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads and writes {@code tg_entity}. Blocking: call from a virtual thread or worker. */
public final class EntityStore {
  private static final String COLUMNS = "kind, id, alias, user_id, team_id, spend, budget_reset_at, blocked, expires, settings, created_at, updated_at";
  private final Database db;

  public EntityStore(Database db) {
    this.db = db;
  }

  public Database database() {
    return db;
  }

  public void insert(Entity e) throws SQLException {
    db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO tg_entity (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")) {
        bind(ps, e);
        return ps.executeUpdate();
      }
    });
  }

  /** Replaces everything but the spend (which only accounting changes). */
  public boolean update(Entity e) throws SQLException {
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE tg_entity SET alias=?, user_id=?, team_id=?, budget_reset_at=?, "
          + "blocked=?, expires=?, settings=?, updated_at=? WHERE kind=? AND id=?")) {
        ps.setString(1, e.alias());
        ps.setString(2, e.userId());
        ps.setString(3, e.teamId());
        setLong(ps, 4, e.budgetResetAt());
        ps.setBoolean(5, e.blocked());
        setLong(ps, 6, e.expires());
        ps.setString(7, e.settings().toString());
        ps.setLong(8, e.updatedAt());
        ps.setString(9, e.kind());
        ps.setString(10, e.id());
        return ps.executeUpdate() == 1;
      }
    });
  }

  /**
   * Starts a new budget period: spend to 0 and the next reset, only if no other replica did it
   * first (the reset time is still the one this replica saw). Returns whether this call reset it.
   */
  public boolean resetSpend(String kind, String id, long seenResetAt, Long nextResetAt) throws SQLException {
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE tg_entity SET spend=0, budget_reset_at=? WHERE kind=? AND id=? AND budget_reset_at=?")) {
        setLong(ps, 1, nextResetAt);
        ps.setString(2, kind);
        ps.setString(3, id);
        ps.setLong(4, seenResetAt);
        return ps.executeUpdate() == 1;
      }
    });
  }

  public int delete(String kind, List<String> ids) throws SQLException {
    return db.transaction(c -> {
      int n = 0;
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM tg_entity WHERE kind=? AND id=?")) {
        for (String id : ids) {
          ps.setString(1, kind);
          ps.setString(2, id);
          n += ps.executeUpdate();
        }
      }
      return n;
    });
  }

  public Optional<Entity> get(String kind, String id) throws SQLException {
    List<Entity> found = query("SELECT " + COLUMNS + " FROM tg_entity WHERE kind=? AND id=?", kind, id);
    return found.stream().findFirst();
  }

  public Optional<Entity> byAlias(String kind, String alias) throws SQLException {
    return query("SELECT " + COLUMNS + " FROM tg_entity WHERE kind=? AND alias=?", kind, alias).stream().findFirst();
  }

  /** Whether an entity of the kind other than {@code exceptId} has the alias. */
  public boolean aliasTaken(String kind, String alias, String exceptId) throws SQLException {
    return !query("SELECT " + COLUMNS + " FROM tg_entity WHERE kind=? AND alias=? AND id<>? LIMIT 1", kind, alias, exceptId).isEmpty();
  }

  /** One page of a kind, optionally filtered by user and team; newest first. */
  public List<Entity> list(String kind, String userId, String teamId, int offset, int limit) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM tg_entity WHERE kind=?");
    List<Object> args = new ArrayList<>(List.of(kind));
    if (userId != null) {
      sql.append(" AND user_id=?");
      args.add(userId);
    }
    if (teamId != null) {
      sql.append(" AND team_id=?");
      args.add(teamId);
    }
    sql.append(" ORDER BY created_at DESC, id LIMIT ").append(limit).append(" OFFSET ").append(offset);
    return query(sql.toString(), args.toArray());
  }

  public long count(String kind, String userId, String teamId) throws SQLException {
    return db.call(c -> {
      String sql = "SELECT COUNT(*) FROM tg_entity WHERE kind=?" + (userId != null ? " AND user_id=?" : "") + (teamId != null ? " AND team_id=?" : "");
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        ps.setString(i++, kind);
        if (userId != null) {
          ps.setString(i++, userId);
        }
        if (teamId != null) {
          ps.setString(i, teamId);
        }
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  /** Every entity: what the in-memory cache loads. */
  public List<Entity> all() throws SQLException {
    return query("SELECT " + COLUMNS + " FROM tg_entity");
  }

  private List<Entity> query(String sql, Object... args) throws SQLException {
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) {
          ps.setObject(i + 1, args[i]);
        }
        try (ResultSet rs = ps.executeQuery()) {
          List<Entity> out = new ArrayList<>();
          while (rs.next()) {
            out.add(read(rs));
          }
          return out;
        }
      }
    });
  }

  /**
   * Adds spend to entities inside the caller's transaction. An end user is known by its first
   * spend, as in LiteLLM: one no admin created is created then, so /customer/info finds it.
   */
  static void addSpend(Connection c, List<SpendDelta> deltas) throws SQLException {
    List<SpendDelta> endUsers = deltas.stream().filter(d -> d.kind().equals(Entity.CUSTOMER)).toList();
    if (!endUsers.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO tg_entity (kind, id, spend, blocked, settings, created_at, updated_at) "
          + "VALUES (?, ?, 0, ?, '{}', ?, ?) ON CONFLICT (kind, id) DO NOTHING")) {
        long now = System.currentTimeMillis();
        for (SpendDelta d : endUsers) {
          ps.setString(1, d.kind());
          ps.setString(2, d.id());
          ps.setBoolean(3, false);
          ps.setLong(4, now);
          ps.setLong(5, now);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE tg_entity SET spend = spend + ? WHERE kind=? AND id=?")) {
      for (SpendDelta d : deltas) {
        ps.setDouble(1, d.amount());
        ps.setString(2, d.kind());
        ps.setString(3, d.id());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Spend to add to one entity. */
  public record SpendDelta(String kind, String id, double amount) {}

  private static Entity read(ResultSet rs) throws SQLException {
    return new Entity(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getDouble(6),
        getLong(rs, 7), rs.getBoolean(8), getLong(rs, 9), parseObject(rs.getString(10)), rs.getLong(11), rs.getLong(12));
  }

  private static void bind(PreparedStatement ps, Entity e) throws SQLException {
    ps.setString(1, e.kind());
    ps.setString(2, e.id());
    ps.setString(3, e.alias());
    ps.setString(4, e.userId());
    ps.setString(5, e.teamId());
    ps.setDouble(6, e.spend());
    setLong(ps, 7, e.budgetResetAt());
    ps.setBoolean(8, e.blocked());
    setLong(ps, 9, e.expires());
    ps.setString(10, e.settings().toString());
    ps.setLong(11, e.createdAt());
    ps.setLong(12, e.updatedAt());
  }

  static ObjectNode parseObject(String json) throws SQLException {
    try {
      return json == null ? Json.object() : (ObjectNode) Json.MAPPER.readTree(json);
    } catch (java.io.IOException | ClassCastException e) {
      throw new SQLException("a stored JSON column is not a JSON object: " + e.getMessage(), e);
    }
  }

  static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, v);
    }
  }

  static Long getLong(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? null : v;
  }
}
