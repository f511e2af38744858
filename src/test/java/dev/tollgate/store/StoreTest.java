package dev.tollgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.json.Json;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class StoreTest {

  private static Database open(TestDatabase t) {
    return Database.open(ConfigLoader.fromYaml("{}", "test", new Environment(t.env())));
  }

  /** The entities of a database migrated to the latest schema. */
  private static EntityStore migrated(Database db) {
    db.migrate();
    return new EntityStore(db);
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void freshDatabaseIsMigratedAndTwoReplicasMigratingAtOnceBothSucceed(Backend backend) throws Exception {
    try (TestDatabase t = TestDatabase.create(backend)) {
      var pool = Executors.newFixedThreadPool(2);
      List<Future<Object>> both = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        both.add(pool.submit((Callable<Object>) () -> {
          try (Database db = open(t)) {
            db.migrate();
          }
          return null;
        }));
      }
      for (Future<Object> f : both) {
        f.get();
      }
      pool.shutdown();
      assertThat(t.scalar("SELECT COUNT(*) FROM tg_schema_history WHERE success = " + (backend == Backend.POSTGRES ? "true" : "1")))
          .isEqualTo(2);
      assertThat(t.scalar("SELECT COUNT(*) FROM tg_daily_spend")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void upgradeFromThePreviousSchemaKeepsTheData(Backend backend) throws Exception {
    try (TestDatabase t = TestDatabase.create(backend); Database db = open(t)) {
      db.migrate("1");
      EntityStore entities = new EntityStore(db);
      entities.insert(new Entity(Entity.KEY, "h1", "alias", "u1", null, 1.5, null, false, null, Json.object().put("max_budget", 3), 1, 1));
      db.migrate();
      assertThat(entities.get(Entity.KEY, "h1")).get().satisfies(e -> {
        assertThat(e.spend()).isEqualTo(1.5);
        assertThat(e.settings().get("max_budget").asInt()).isEqualTo(3);
      });
      assertThat(t.scalar("SELECT COUNT(*) FROM tg_daily_spend")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void spendBatchesAreIdempotentPerRequestIdAndFeedEntitiesAndDailyTotals(Backend backend) throws Exception {
    try (TestDatabase t = TestDatabase.create(backend); Database db = open(t)) {
      EntityStore entities = migrated(db);
      SpendStore spend = new SpendStore(db);
      entities.insert(new Entity(Entity.KEY, "hash-a", null, "alice", "team-1", 0, null, false, null, Json.object(), 1, 1));
      entities.insert(new Entity(Entity.TEAM, "team-1", null, null, null, 0, null, false, null, Json.object(), 1, 1));
      long now = System.currentTimeMillis();
      SpendRow r1 = row("req-1", "hash-a", 0.25, now);
      SpendRow r2 = row("req-2", "hash-a", 0.5, now);
      assertThat(spend.write(List.of(r1, r2))).hasSize(2);
      // a replayed journal brings req-2 again: counted once
      assertThat(spend.write(List.of(r2, row("req-3", "hash-a", 1.0, now)))).extracting(SpendRow::requestId).containsExactly("req-3");

      assertThat(entities.get(Entity.KEY, "hash-a").orElseThrow().spend()).isEqualTo(1.75);
      assertThat(entities.get(Entity.TEAM, "team-1").orElseThrow().spend()).isEqualTo(1.75);
      assertThat(spend.totals(Entity.KEY, false, false, null, null, 10)).singleElement()
          .satisfies(tot -> {
            assertThat(tot.spend()).isEqualTo(1.75);
            assertThat(tot.requests()).isEqualTo(3);
          });
      assertThat(spend.totals(Entity.USER, true, false, null, null, 10)).singleElement()
          .satisfies(tot -> assertThat(tot.model()).isEqualTo("gpt-4o"));
      assertThat(spend.logs(new SpendStore.LogFilter("hash-a", null, null, null, null, null), 0, 2)).hasSize(2);
      assertThat(spend.logs(new SpendStore.LogFilter(null, null, "team-1", null, null, null), 2, 2)).hasSize(1);

      assertThat(spend.deleteBefore(now + 1, 2)).isEqualTo(3);
      assertThat(spend.logs(new SpendStore.LogFilter(null, null, null, null, null, null), 0, 10)).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aDuplicateIdIsAConstraintViolationThatLeavesTheDatabaseReachable(Backend backend) throws Exception {
    try (TestDatabase t = TestDatabase.create(backend); Database db = open(t)) {
      EntityStore entities = migrated(db);
      Entity team = new Entity(Entity.TEAM, "t1", null, null, null, 0, null, false, null, Json.object(), 1, 1);
      entities.insert(team);
      assertThatThrownBy(() -> entities.insert(team)).isInstanceOfSatisfying(java.sql.SQLException.class,
          e -> assertThat(Database.isConstraintViolation(e)).as(e.getMessage()).isTrue());
      assertThat(db.reachable()).as("a refused row says nothing about the connection").isTrue();
    }
  }

  @Test
  void theLatestVersionConstantNamesTheNewestBundledMigration() throws Exception {
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/migration"))) {
      int newest = files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("V"))
          .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElseThrow();
      assertThat(Database.LATEST_VERSION).isEqualTo(newest);
    }
  }

  @Test
  void liteLlmStyleDatabaseUrlsBecomeJdbcSettingsWithoutThePasswordInTheDescription() {
    Database.Settings s = Database.postgres("postgresql://llm:p%40ss@db.internal:5433/litellm?sslmode=disable", 7);
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/litellm?sslmode=disable");
    assertThat(s.user()).isEqualTo("llm");
    assertThat(s.password()).isEqualTo("p@ss");
    assertThat(s.poolSize()).isEqualTo(7);
    assertThat(s.description()).doesNotContain("p@ss").doesNotContain("p%40ss");
    assertThatThrownBy(() -> Database.postgres("mysql://x@y/z", 1)).hasMessageContaining("DATABASE_URL");
    assertThat(Database.postgres("postgresql://llm:a+b%20c@db/x", 1).password()).as("a + in a URL is a +").isEqualTo("a+b c");
  }

  /** LiteLLM builds DATABASE_URL from these four when it is not set; a password may hold any character. */
  @Test
  void databaseHostUsernamePasswordAndNameMakeTheUrl() {
    Database.Settings s = Database.settings(ConfigLoader.fromYaml("{}", "test", new Environment(java.util.Map.of("DATABASE_HOST",
        "db.internal:5433", "DATABASE_USERNAME", "llm", "DATABASE_PASSWORD", "p@ss:w/rd +x", "DATABASE_NAME", "litellm"))));
    assertThat(s.postgres()).isTrue();
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/litellm");
    assertThat(s.user()).isEqualTo("llm");
    assertThat(s.password()).isEqualTo("p@ss:w/rd +x");
    Database.Settings partial = Database.settings(ConfigLoader.fromYaml("{}", "test",
        new Environment(java.util.Map.of("DATABASE_HOST", "db.internal"))));
    assertThat(partial.postgres()).as("not all four: the embedded SQLite, as LiteLLM would have no URL").isFalse();
  }

  @Test
  void anUnreachableDatabaseFailsMigrationWithOneLine() {
    GatewayConfig cfg = ConfigLoader.fromYaml("{}", "test", new Environment(java.util.Map.of("DATABASE_URL",
        "postgresql://tollgate:tollgate@127.0.0.1:1/nothing")));
    try (Database db = Database.open(cfg)) {
      assertThatThrownBy(db::migrate).isInstanceOf(Database.MigrationException.class)
          .hasMessageStartingWith("database postgresql://127.0.0.1:1/nothing: migration failed");
      assertThat(db.reachable()).isFalse();
    }
  }

  static SpendRow row(String id, String key, double cost, long t) {
    return new SpendRow(id, "acompletion", key, cost, 10, 20, t, t + 5, "openai/gpt-4o", "m1", "gpt-4o", "openai", null,
        "alice", "team-1", null, "success", false, null);
  }
}
