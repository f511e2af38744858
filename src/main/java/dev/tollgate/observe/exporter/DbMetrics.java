package dev.tollgate.observe.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.json.Json;
import dev.tollgate.store.Database;
import dev.tollgate.store.Entity;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the daily aggregates ({@code tg_daily_spend}) of the last {@code days} days and the
 * budgets of keys and teams ({@code tg_entity}) in two bounded queries, and turns them into
 * gauges. Nothing here touches {@code tg_spend_log}. Keys appear only as their SHA-256.
 */
final class DbMetrics {
  /** LiteLLM writes Python's str(None) for a label it has no value for; the gateway's own metrics do too. */
  static final String NONE = "None";

  /** One dimension of the daily aggregates: its {@code kind} in the table, metric prefix and LiteLLM label names. */
  private record Dimension(String kind, String prefix, String idLabel, String aliasLabel, String what) {}

  private static final List<Dimension> DIMENSIONS = List.of(
      new Dimension(Entity.KEY, "tollgate_db_api_key", "hashed_api_key", "api_key_alias", "virtual key (hashed)"),
      new Dimension(Entity.TEAM, "tollgate_db_team", "team", "team_alias", "team"),
      new Dimension(Entity.USER, "tollgate_db_user", "user", null, "internal user"),
      new Dimension(Entity.CUSTOMER, "tollgate_db_end_user", "end_user", null, "end user (customer)"));

  private final Database db;
  private final int days;
  private final int maxSeries;

  DbMetrics(Database db, int days, int maxSeries) {
    this.db = db;
    this.days = days;
    this.maxSeries = maxSeries;
  }

  /** One read of the database; blocking. */
  MetricSnapshots read(Instant now) throws SQLException {
    long t0 = System.nanoTime();
    String fromDay = LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(days - 1L).toString();
    Map<String, GaugeSnapshot.Builder> families = new LinkedHashMap<>();
    boolean truncated = readDaily(fromDay, families);
    truncated |= readBudgets(now, families);
    List<MetricSnapshot> out = new ArrayList<>();
    families.values().forEach(b -> out.add(b.build()));
    out.add(single("tollgate_db_exporter_query_seconds", "Seconds the exporter's last read of the database took",
        (System.nanoTime() - t0) / 1e9));
    out.add(single("tollgate_db_exporter_truncated",
        "1 when the last read hit --max-series and left the smallest series out, else 0", truncated ? 1 : 0));
    out.add(single("tollgate_db_exporter_window_days", "Days of daily aggregates exported (today, UTC, and the days before)", days));
    return new MetricSnapshots(out);
  }

  private boolean readDaily(String fromDay, Map<String, GaugeSnapshot.Builder> families) throws SQLException {
    for (Dimension d : DIMENSIONS) {
      // every family up front, so add() finds it; the text writer leaves out families with no data point
      family(families, d.prefix() + "_spend_usd", "Spend in USD per " + d.what() + ", model and day (UTC), from the database");
      family(families, d.prefix() + "_requests", "Requests per " + d.what() + ", model and day (UTC), from the database");
      family(families, d.prefix() + "_tokens", "Tokens per " + d.what() + ", model, day (UTC) and token_type (input, output), from the database");
    }
    return db.call(c -> {
      // the primary key (day, kind, id, model) bounds the scan to the window; the join is a primary-key look-up per row
      try (PreparedStatement ps = c.prepareStatement("SELECT d.kind, d.id, d.model, d.day, d.spend, d.prompt_tokens, d.completion_tokens, "
          + "d.api_requests, e.alias FROM tg_daily_spend d LEFT JOIN tg_entity e ON e.kind = d.kind AND e.id = d.id "
          + "WHERE d.day >= ? AND d.kind IN (?, ?, ?, ?) ORDER BY d.spend DESC, d.day, d.kind, d.id, d.model LIMIT ?")) {
        ps.setString(1, fromDay);
        for (int i = 0; i < DIMENSIONS.size(); i++) {
          ps.setString(i + 2, DIMENSIONS.get(i).kind());
        }
        ps.setInt(DIMENSIONS.size() + 2, maxSeries + 1);
        int rows = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (++rows > maxSeries) {
              return true;
            }
            Dimension d = dimension(rs.getString(1));
            Labels labels = d.aliasLabel() == null
                ? Labels.of(d.idLabel(), rs.getString(2), "model", orNone(rs.getString(3)), "day", rs.getString(4))
                : Labels.of(d.idLabel(), rs.getString(2), d.aliasLabel(), orNone(rs.getString(9)), "model", orNone(rs.getString(3)),
                    "day", rs.getString(4));
            add(families, d.prefix() + "_spend_usd", labels, rs.getDouble(5));
            add(families, d.prefix() + "_requests", labels, rs.getLong(8));
            add(families, d.prefix() + "_tokens", labels.add("token_type", "input"), rs.getLong(6));
            add(families, d.prefix() + "_tokens", labels.add("token_type", "output"), rs.getLong(7));
          }
        }
        return false;
      }
    });
  }

  private static Dimension dimension(String kind) {
    for (Dimension d : DIMENSIONS) {
      if (d.kind().equals(kind)) {
        return d;
      }
    }
    throw new IllegalStateException("unexpected kind " + kind);
  }

  /** A key's or team's row with what its budget needs. */
  private record Budgeted(String kind, String id, String alias, double spend, Long resetAt, JsonNode settings) {}

  /** Budget gauges of one kind: LiteLLM's names for the maximum and the hours to reset, ours for the remaining budget. */
  private record BudgetFamilies(String kind, String max, String remaining, String hours, String idLabel, String aliasLabel, String what) {}

  private static final List<BudgetFamilies> BUDGETS = List.of(
      new BudgetFamilies(Entity.KEY, "litellm_api_key_max_budget_metric", "tollgate_db_api_key_remaining_budget_usd",
          "litellm_api_key_budget_remaining_hours_metric", "hashed_api_key", "api_key_alias", "an API key"),
      new BudgetFamilies(Entity.TEAM, "litellm_team_max_budget_metric", "tollgate_db_team_remaining_budget_usd",
          "litellm_team_budget_remaining_hours_metric", "team", "team_alias", "a team"));

  private boolean readBudgets(Instant now, Map<String, GaugeSnapshot.Builder> families) throws SQLException {
    for (BudgetFamilies f : BUDGETS) {
      family(families, f.max(), "Maximum budget in USD of " + f.what() + ", from the database");
      family(families, f.remaining(), "Remaining budget in USD (max budget minus spend in the current budget period) of " + f.what()
          + ", from the database");
      family(families, f.hours(), "Hours until the budget of " + f.what() + " resets, from the database");
    }
    List<Budgeted> rows = new ArrayList<>();
    Map<String, JsonNode> linkedBudgets = new HashMap<>();
    boolean truncated = db.call(c -> {
      // only rows that can carry a budget (settings is JSON text: the LIKE keeps the scan cheap and portable)
      try (PreparedStatement ps = c.prepareStatement("SELECT kind, id, alias, spend, budget_reset_at, settings FROM tg_entity "
          + "WHERE kind IN (?, ?, ?) AND (settings LIKE '%\"max_budget\"%' OR settings LIKE '%\"budget_id\"%') ORDER BY kind, id LIMIT ?")) {
        ps.setString(1, Entity.KEY);
        ps.setString(2, Entity.TEAM);
        ps.setString(3, Entity.BUDGET);
        ps.setInt(4, maxSeries + 1);
        try (ResultSet rs = ps.executeQuery()) {
          int n = 0;
          while (rs.next()) {
            if (++n > maxSeries) {
              return true;
            }
            long reset = rs.getLong(5);
            Long resetAt = rs.wasNull() ? null : reset;
            Budgeted b = new Budgeted(rs.getString(1), rs.getString(2), rs.getString(3), rs.getDouble(4), resetAt, parse(rs.getString(6)));
            if (b.kind().equals(Entity.BUDGET)) {
              linkedBudgets.put(b.id(), b.settings());
            } else {
              rows.add(b);
            }
          }
        }
      }
      return false;
    });
    for (Budgeted b : rows) {
      BudgetFamilies f = b.kind().equals(Entity.KEY) ? BUDGETS.get(0) : BUDGETS.get(1);
      Double max = maxBudget(b.settings(), linkedBudgets);
      if (max == null) {
        continue;
      }
      Labels labels = Labels.of(f.idLabel(), b.id(), f.aliasLabel(), orNone(b.alias()));
      add(families, f.max(), labels, max);
      add(families, f.remaining(), labels, max - b.spend());
      if (b.resetAt() != null) {
        add(families, f.hours(), labels, Math.max(0, b.resetAt() - now.toEpochMilli()) / 3_600_000.0);
      }
    }
    return truncated;
  }

  /** Its own max_budget, else that of the budget it links to ({@code budget_id}), as the gateway enforces it. */
  private static Double maxBudget(JsonNode settings, Map<String, JsonNode> linkedBudgets) {
    JsonNode max = settings.get("max_budget");
    if ((max == null || !max.isNumber()) && settings.hasNonNull("budget_id")) {
      JsonNode budget = linkedBudgets.get(settings.get("budget_id").asText());
      max = budget == null ? null : budget.get("max_budget");
    }
    return max != null && max.isNumber() ? max.asDouble() : null;
  }

  private static JsonNode parse(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      return Json.object();
    }
  }

  static String orNone(String v) {
    return v == null || v.isEmpty() ? NONE : v;
  }

  private static void family(Map<String, GaugeSnapshot.Builder> families, String name, String help) {
    families.put(name, GaugeSnapshot.builder().name(name).help(help));
  }

  private static void add(Map<String, GaugeSnapshot.Builder> families, String name, Labels labels, double value) {
    families.get(name).dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
  }

  private static MetricSnapshot single(String name, String help, double value) {
    return GaugeSnapshot.builder().name(name).help(help).dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
  }
}
