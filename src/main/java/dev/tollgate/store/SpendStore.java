package dev.tollgate.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Spend logs, the spend of keys/users/teams/end users, and the daily aggregates. Blocking. */
public final class SpendStore {
  private static final String LOG_COLUMNS = "request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens, "
      + "start_time, end_time, model, model_id, model_group, custom_llm_provider, api_base, user_id, team_id, end_user, status, "
      + "cache_hit, metadata";
  private final Database db;

  public SpendStore(Database db) {
    this.db = db;
  }

  /**
   * Writes a batch in one transaction. Idempotent per request id: a row already stored (a journal
   * replayed after a crash that happened just after the commit) adds nothing twice. Returns the
   * rows that were new.
   */
  public List<SpendRow> write(List<SpendRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return List.of();
    }
    return db.transaction(c -> {
      List<SpendRow> fresh = insertLogs(c, rows);
      Map<List<String>, Double> entityDeltas = new LinkedHashMap<>();
      Map<List<String>, long[]> daily = new LinkedHashMap<>();
      Map<List<String>, Double> dailySpend = new LinkedHashMap<>();
      for (SpendRow r : fresh) {
        String day = Instant.ofEpochMilli(r.startTime()).atOffset(ZoneOffset.UTC).toLocalDate().toString();
        String model = r.modelGroup() == null ? "" : r.modelGroup();
        for (String[] owner : owners(r)) {
          if (owner[1] == null) {
            continue;
          }
          entityDeltas.merge(List.of(owner[0], owner[1]), r.spend(), Double::sum);
          List<String> k = List.of(day, owner[0], owner[1], model);
          dailySpend.merge(k, r.spend(), Double::sum);
          long[] t = daily.computeIfAbsent(k, x -> new long[3]);
          t[0] += r.promptTokens();
          t[1] += r.completionTokens();
          t[2] += 1;
        }
      }
      List<EntityStore.SpendDelta> deltas = new ArrayList<>();
      entityDeltas.forEach((k, v) -> deltas.add(new EntityStore.SpendDelta(k.get(0), k.get(1), v)));
      EntityStore.addSpend(c, deltas);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO tg_daily_spend (day, kind, id, model, spend, prompt_tokens, "
          + "completion_tokens, api_requests) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (day, kind, id, model) DO UPDATE SET "
          + "spend = tg_daily_spend.spend + excluded.spend, prompt_tokens = tg_daily_spend.prompt_tokens + excluded.prompt_tokens, "
          + "completion_tokens = tg_daily_spend.completion_tokens + excluded.completion_tokens, "
          + "api_requests = tg_daily_spend.api_requests + excluded.api_requests")) {
        for (var e : daily.entrySet()) {
          List<String> k = e.getKey();
          for (int i = 0; i < 4; i++) {
            ps.setString(i + 1, k.get(i));
          }
          ps.setDouble(5, dailySpend.get(k));
          ps.setLong(6, e.getValue()[0]);
          ps.setLong(7, e.getValue()[1]);
          ps.setLong(8, e.getValue()[2]);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      return fresh;
    });
  }

  /** Who a row's spend counts for: (kind, id) pairs; ids may be null. */
  public static String[][] owners(SpendRow r) {
    return new String[][] {{Entity.KEY, r.apiKey()}, {Entity.USER, r.userId()}, {Entity.TEAM, r.teamId()}, {Entity.CUSTOMER, r.endUser()}};
  }

  /**
   * Rows bound and sent per JDBC batch. Between batches the writer yields the CPU: a batch of
   * thousands of rows is milliseconds of CPU, and on a core shared with the event loops the
   * scheduler would otherwise let it run through requests that are waiting.
   */
  private static final int ROWS_PER_STATEMENT_BATCH = 128;

  private static List<SpendRow> insertLogs(Connection c, List<SpendRow> rows) throws SQLException {
    List<SpendRow> fresh = new ArrayList<>(rows.size());
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO tg_spend_log (" + LOG_COLUMNS
        + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (request_id) DO NOTHING")) {
      for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT_BATCH) {
        List<SpendRow> batch = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT_BATCH));
        for (SpendRow r : batch) {
          bind(ps, r);
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        for (int i = 0; i < batch.size(); i++) {
          // SUCCESS_NO_INFO (-2) only comes from drivers that cannot tell; both of ours can
          if (counts[i] != 0) {
            fresh.add(batch.get(i));
          }
        }
        Thread.yield();
      }
    }
    return fresh;
  }

  private static void bind(PreparedStatement ps, SpendRow r) throws SQLException {
    int i = 1;
    ps.setString(i++, r.requestId());
    ps.setString(i++, r.callType());
    ps.setString(i++, r.apiKey());
    ps.setDouble(i++, r.spend());
    ps.setLong(i++, r.promptTokens());
    ps.setLong(i++, r.completionTokens());
    ps.setLong(i++, r.totalTokens());
    ps.setLong(i++, r.startTime());
    ps.setLong(i++, r.endTime());
    ps.setString(i++, r.model());
    ps.setString(i++, r.modelId());
    ps.setString(i++, r.modelGroup());
    ps.setString(i++, r.provider());
    ps.setString(i++, r.apiBase());
    ps.setString(i++, r.userId());
    ps.setString(i++, r.teamId());
    ps.setString(i++, r.endUser());
    ps.setString(i++, r.status());
    ps.setBoolean(i++, r.cacheHit());
    ps.setString(i, r.metadata());
  }

  /** Filters of {@code /spend/logs}; null means no filter. */
  public record LogFilter(String apiKey, String userId, String teamId, String requestId, Long startMs, Long endMs) {}

  public List<SpendRow> logs(LogFilter f, int offset, int limit) throws SQLException {
    StringBuilder where = new StringBuilder(" WHERE 1=1");
    List<Object> args = new ArrayList<>();
    addFilter(where, args, "api_key", f.apiKey());
    addFilter(where, args, "user_id", f.userId());
    addFilter(where, args, "team_id", f.teamId());
    addFilter(where, args, "request_id", f.requestId());
    if (f.startMs() != null) {
      where.append(" AND start_time >= ?");
      args.add(f.startMs());
    }
    if (f.endMs() != null) {
      where.append(" AND start_time < ?");
      args.add(f.endMs());
    }
    String sql = "SELECT " + LOG_COLUMNS + " FROM tg_spend_log" + where + " ORDER BY start_time DESC, request_id LIMIT " + limit + " OFFSET " + offset;
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          List<SpendRow> out = new ArrayList<>();
          while (rs.next()) {
            int i = 1;
            String id = rs.getString(i++);
            String callType = rs.getString(i++);
            String key = rs.getString(i++);
            double spend = rs.getDouble(i++);
            long pt = rs.getLong(i++);
            long ct = rs.getLong(i++);
            i++; // total_tokens
            out.add(new SpendRow(id, callType, key, spend, pt, ct, rs.getLong(i++), rs.getLong(i++), rs.getString(i++), rs.getString(i++),
                rs.getString(i++), rs.getString(i++), rs.getString(i++), rs.getString(i++), rs.getString(i++), rs.getString(i++),
                rs.getString(i++), rs.getBoolean(i++), rs.getString(i)));
          }
          return out;
        }
      }
    });
  }

  private static void addFilter(StringBuilder where, List<Object> args, String column, String value) {
    if (value != null) {
      where.append(" AND ").append(column).append(" = ?");
      args.add(value);
    }
  }

  /** One line of a spend breakdown: who (or which model / day), how much, how many requests and tokens. */
  public record Total(String day, String id, String model, double spend, long promptTokens, long completionTokens, long requests) {}

  /**
   * Totals from the daily aggregates of one kind (key, user, team, customer), grouped by id, or
   * by model when {@code byModel}, or by day and id when {@code byDay}; biggest first.
   */
  public List<Total> totals(String kind, boolean byModel, boolean byDay, String fromDay, String toDay, int limit) throws SQLException {
    String group = byModel ? "model" : byDay ? "day, id" : "id";
    String select = byModel ? "'' , '', model" : byDay ? "day, id, ''" : "'', id, ''";
    StringBuilder sql = new StringBuilder("SELECT " + select + ", SUM(spend), SUM(prompt_tokens), SUM(completion_tokens), SUM(api_requests) "
        + "FROM tg_daily_spend WHERE kind = ?");
    List<Object> args = new ArrayList<>(List.of(kind));
    if (fromDay != null) {
      sql.append(" AND day >= ?");
      args.add(fromDay);
    }
    if (toDay != null) {
      sql.append(" AND day <= ?");
      args.add(toDay);
    }
    sql.append(" GROUP BY ").append(group).append(byDay ? " ORDER BY day, SUM(spend) DESC" : " ORDER BY SUM(spend) DESC").append(" LIMIT ").append(limit);
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          List<Total> out = new ArrayList<>();
          while (rs.next()) {
            out.add(new Total(rs.getString(1), rs.getString(2), rs.getString(3), rs.getDouble(4), rs.getLong(5), rs.getLong(6), rs.getLong(7)));
          }
          return out;
        }
      }
    });
  }

  /** Spend of keys per model group and day since {@code fromDay}: (key hash, model group, day) → spend. */
  public List<Total> keyModelDays(List<String> keyHashes, String fromDay) throws SQLException {
    if (keyHashes.isEmpty()) {
      return List.of();
    }
    String marks = String.join(",", java.util.Collections.nCopies(keyHashes.size(), "?"));
    return db.call(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT day, id, model, spend FROM tg_daily_spend WHERE kind = 'key' AND day >= ? AND id IN ("
          + marks + ")")) {
        ps.setString(1, fromDay);
        for (int i = 0; i < keyHashes.size(); i++) {
          ps.setString(i + 2, keyHashes.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          List<Total> out = new ArrayList<>();
          while (rs.next()) {
            out.add(new Total(rs.getString(1), rs.getString(2), rs.getString(3), rs.getDouble(4), 0, 0, 0));
          }
          return out;
        }
      }
    });
  }

  /** Deletes spend logs that started before {@code cutoffMs}, {@code batch} rows per statement; returns how many. */
  public long deleteBefore(long cutoffMs, int batch) throws SQLException {
    long total = 0;
    while (true) {
      int n = db.call(c -> {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM tg_spend_log WHERE request_id IN "
            + "(SELECT request_id FROM tg_spend_log WHERE start_time < ? LIMIT " + batch + ")")) {
          ps.setLong(1, cutoffMs);
          return ps.executeUpdate();
        }
      });
      total += n;
      if (n < batch) {
        return total;
      }
    }
  }
}
