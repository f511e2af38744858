package dev.tollgate.keys;

import dev.tollgate.store.Entity;
import dev.tollgate.store.EntityStore;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.SpendStore;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys, users, teams, end users and budgets in memory — what the request path reads instead of
 * the database — and the budget ledger of each: spend already in the database, spend settled here
 * but not written yet, and reservations of calls in flight. Loaded at start, refreshed on an
 * interval, updated at once by the admin API of this replica.
 */
public final class Accounts {
  private static final Logger log = LoggerFactory.getLogger(Accounts.class);

  /** Spend of one key / user / team / end user, as this replica knows it. Guarded by the Accounts lock. */
  static final class Ledger {
    double db;
    double pending;
    double reserved;

    double spent() {
      return db + pending;
    }
  }

  /** One budget a call is charged against. */
  public record Charge(String kind, String id, double maxBudget) {}

  /** What a call reserved; settled exactly once. */
  public static final class Reservation {
    final List<Ledger> ledgers;
    final double amount;
    boolean settled;

    Reservation(List<Ledger> ledgers, double amount) {
      this.ledgers = ledgers;
      this.amount = amount;
    }
  }

  /** The budget a call would exceed. */
  public record Exceeded(Charge charge, double spent) {}

  /** The ledger of one key's spend on one model ({@code model_max_budget}); id is {@code <key hash>/<model group>}. */
  public static final String MODEL_BUDGET = "key_model";

  private final EntityStore store;
  private final SpendStore spendStore;
  private final Clock clock;
  private final Map<String, Map<String, Entity>> byKind = new ConcurrentHashMap<>();
  private final Map<String, Ledger> ledgers = new ConcurrentHashMap<>();
  private final Map<String, Long> tombstones = new ConcurrentHashMap<>();
  /** Held while reading or writing spend in the database, so a refresh never overlaps a spend write. */
  private final Object databaseMonitor = new Object();
  private volatile boolean loaded;
  /** Told about every change made by this replica's admin API (kind, id), e.g. to tell other replicas. */
  private volatile java.util.function.BiConsumer<String, String> changeListener = (k, i) -> { };
  /** Told when this replica started a new budget period of an entity (kind, id). */
  private volatile java.util.function.BiConsumer<String, String> resetListener = (k, i) -> { };
  /** Writes the spend this replica holds to the database: done before a budget period ends, so it counts in its period. */
  private volatile Runnable writeSpend = () -> { };

  public Accounts(EntityStore store, SpendStore spendStore, Clock clock) {
    this.store = store;
    this.spendStore = spendStore;
    this.clock = clock;
    for (String k : List.of(Entity.KEY, Entity.USER, Entity.TEAM, Entity.CUSTOMER, Entity.BUDGET)) {
      byKind.put(k, new ConcurrentHashMap<>());
    }
  }

  public Object databaseMonitor() {
    return databaseMonitor;
  }

  /** Whether the entities were loaded from the database at least once. */
  public boolean loaded() {
    return loaded;
  }

  public boolean databaseReachable() {
    return store.database().reachable();
  }

  public Entity get(String kind, String id) {
    return id == null ? null : byKind.get(kind).get(id);
  }

  public List<Entity> all(String kind) {
    return List.copyOf(byKind.get(kind).values());
  }

  /** After this replica's admin API changed an entity. */
  public void put(Entity e) {
    tombstones.remove(ledgerKey(e.kind(), e.id()));
    byKind.get(e.kind()).put(e.id(), e);
    synchronized (this) {
      // a new entity (e.g. a regenerated key carrying the old one's spend); known ledgers keep theirs
      ledgers.computeIfAbsent(ledgerKey(e.kind(), e.id()), x -> {
        Ledger l = new Ledger();
        l.db = e.spend();
        return l;
      });
    }
  }

  public void remove(String kind, String id) {
    tombstones.put(ledgerKey(kind, id), clock.millis());
    byKind.get(kind).remove(id);
  }

  /** The admin API of this replica changed an entity: tell whoever listens (other replicas). */
  public void changed(String kind, String id) {
    changeListener.accept(kind, id);
  }

  public void onChange(java.util.function.BiConsumer<String, String> listener) {
    this.changeListener = listener;
  }

  public void onBudgetReset(java.util.function.BiConsumer<String, String> listener) {
    this.resetListener = listener;
  }

  public void writeSpendBeforeResets(Runnable writeSpend) {
    this.writeSpend = writeSpend;
  }

  /** Another replica changed an entity: read it again (blocking). */
  public void reload(String kind, String id) throws SQLException {
    if (!byKind.containsKey(kind)) {
      return;
    }
    var e = store.get(kind, id);
    if (e.isPresent()) {
      put(e.get());
    } else {
      remove(kind, id);
    }
  }

  /**
   * Reloads everything from the database (blocking). Entities changed here after the read began
   * win over the snapshot; budget periods that ended are reset (once across replicas).
   */
  public void refresh() throws SQLException {
    if (aBudgetPeriodEnded(clock.millis())) {
      // outside the monitor: the spend writer takes it too. Spend written after the reset would
      // count in the next period
      writeSpend.run();
    }
    synchronized (databaseMonitor) {
      long started = clock.millis();
      List<Entity> snapshot = store.all();
      Set<String> seen = new HashSet<>();
      for (Entity e : snapshot) {
        String lk = ledgerKey(e.kind(), e.id());
        seen.add(lk);
        Long deleted = tombstones.get(lk);
        if (deleted != null && deleted >= started) {
          continue;
        }
        Map<String, Entity> m = byKind.get(e.kind());
        if (m == null) {
          continue;
        }
        Entity current = m.get(e.id());
        if (current == null || current.updatedAt() <= e.updatedAt()) {
          m.put(e.id(), e);
        }
        synchronized (this) {
          ledgers.computeIfAbsent(lk, x -> new Ledger()).db = e.spend();
        }
      }
      for (var kind : byKind.entrySet()) {
        kind.getValue().values().removeIf(e -> !seen.contains(ledgerKey(e.kind(), e.id())) && e.updatedAt() < started);
      }
      tombstones.values().removeIf(t -> t < started - 60_000);
      loaded = true;
      resetEndedBudgets(snapshot, started);
      loadModelBudgets(snapshot, started);
    }
  }

  /**
   * Spend of each key on each model with a {@code model_max_budget}, within its {@code
   * time_period} (whole days, from the daily aggregates; the whole month kept there without one).
   */
  private void loadModelBudgets(List<Entity> snapshot, long now) throws SQLException {
    List<Entity> keys = snapshot.stream().filter(e -> e.kind().equals(Entity.KEY) && e.settings().has("model_max_budget")).toList();
    if (keys.isEmpty()) {
      return;
    }
    java.time.LocalDate today = java.time.Instant.ofEpochMilli(now).atOffset(java.time.ZoneOffset.UTC).toLocalDate();
    List<SpendStore.Total> days = spendStore.keyModelDays(keys.stream().map(Entity::id).toList(), today.minusDays(31).toString());
    for (Entity key : keys) {
      key.settings().get("model_max_budget").fields().forEachRemaining(m -> {
        String period = m.getValue().path("time_period").asText(null);
        String from = period == null ? today.minusDays(31).toString() : periodStart(period, today).toString();
        double spent = days.stream().filter(t -> t.id().equals(key.id()) && t.model().equals(m.getKey()) && t.day().compareTo(from) >= 0)
            .mapToDouble(SpendStore.Total::spend).sum();
        synchronized (this) {
          ledgers.computeIfAbsent(ledgerKey(MODEL_BUDGET, key.id() + "/" + m.getKey()), x -> new Ledger()).db = spent;
        }
      });
    }
  }

  /** The first day of the budget period that contains {@code today}, aligned as {@link BudgetPeriods} aligns resets. */
  static java.time.LocalDate periodStart(String period, java.time.LocalDate today) {
    java.time.Duration d = BudgetPeriods.parse(period);
    if (d.equals(java.time.Duration.ofDays(7))) {
      return today.with(java.time.temporal.TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
    }
    if (d.equals(java.time.Duration.ofDays(30)) || period.trim().endsWith("mo")) {
      return today.withDayOfMonth(1);
    }
    return today.minusDays(Math.max(0, d.toDays() - 1));
  }

  private boolean aBudgetPeriodEnded(long now) {
    for (Map<String, Entity> kind : byKind.values()) {
      for (Entity e : kind.values()) {
        if (e.budgetResetAt() != null && e.budgetResetAt() <= now) {
          return true;
        }
      }
    }
    return false;
  }

  private void resetEndedBudgets(List<Entity> snapshot, long now) throws SQLException {
    for (Entity e : snapshot) {
      if (e.budgetResetAt() == null || e.budgetResetAt() > now) {
        continue;
      }
      String duration = e.settings().path("budget_duration").asText(null);
      Long next = duration == null ? null : BudgetPeriods.nextReset(duration, now, e.settings().path("budget_reset_timezone").asText("UTC"));
      if (store.resetSpend(e.kind(), e.id(), e.budgetResetAt(), next)) {
        resetListener.accept(e.kind(), e.id());
        log.info("budget period of {} {} ended: spend reset", e.kind(), e.kind().equals(Entity.KEY) ? e.alias() : e.id());
      }
      synchronized (this) {
        Ledger l = ledgers.get(ledgerKey(e.kind(), e.id()));
        if (l != null) {
          l.db = 0;
          l.pending = 0;
        }
      }
      Entity current = get(e.kind(), e.id());
      if (current != null) {
        put(current.withSpend(0, next));
      }
    }
  }

  /** Spend of an entity as this replica knows it (database + settled here, not yet written). */
  public synchronized double spent(String kind, String id) {
    Ledger l = ledgers.get(ledgerKey(kind, id));
    return l == null ? 0 : l.spent();
  }

  /**
   * Reserves {@code amount} against every charge at once, or none: fails with the first budget
   * that spend + reservations + amount would exceed (or that is already used up).
   */
  public synchronized Object reserve(List<Charge> charges, double amount) {
    List<Ledger> held = new ArrayList<>(charges.size());
    for (Charge c : charges) {
      Ledger l = ledgers.computeIfAbsent(ledgerKey(c.kind(), c.id()), x -> new Ledger());
      if (c.maxBudget() >= 0 && (l.spent() >= c.maxBudget() || l.spent() + l.reserved + amount > c.maxBudget() + 1e-12)) {
        return new Exceeded(c, l.spent());
      }
      held.add(l);
    }
    for (Ledger l : held) {
      l.reserved += amount;
    }
    return new Reservation(held, amount);
  }

  /** Replaces a reservation by the real cost (0 for a failed call). */
  public synchronized void settle(Reservation r, double cost) {
    if (r.settled) {
      return;
    }
    r.settled = true;
    for (Ledger l : r.ledgers) {
      l.reserved -= r.amount;
      l.pending += cost;
    }
  }

  /** Spend of calls not charged against a reservation (e.g. by the master key): still counted. */
  public synchronized void addPending(String kind, String id, double cost) {
    if (id != null) {
      ledgers.computeIfAbsent(ledgerKey(kind, id), x -> new Ledger()).pending += cost;
    }
  }

  /** Rows settled here are now in the database: move their spend from pending to db. */
  public synchronized void written(List<SpendRow> rows) {
    for (SpendRow r : rows) {
      Ledger perModel = ledgers.get(ledgerKey(MODEL_BUDGET, r.apiKey() + "/" + r.modelGroup()));
      if (perModel != null) {
        perModel.pending -= r.spend();
        perModel.db += r.spend();
      }
      for (String[] owner : SpendStore.owners(r)) {
        if (owner[1] != null) {
          Ledger l = ledgers.computeIfAbsent(ledgerKey(owner[0], owner[1]), x -> new Ledger());
          l.pending -= r.spend();
          l.db += r.spend();
        }
      }
    }
  }

  static String ledgerKey(String kind, String id) {
    return kind + ':' + id;
  }
}
