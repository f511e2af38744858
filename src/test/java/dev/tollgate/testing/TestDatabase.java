package dev.tollgate.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

/**
 * A fresh, empty database for one test: a SQLite file in a temporary folder, or a database of
 * its own on the real PostgreSQL of {@code .ci/services.sh} (role tollgate/tollgate on
 * 127.0.0.1:5432), dropped on close.
 */
public final class TestDatabase implements AutoCloseable {
  public enum Backend { SQLITE, POSTGRES }

  public static final String PG_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
  public static final String PG_USER = "tollgate";
  public static final String PG_PASSWORD = "tollgate";

  private final Backend backend;
  private final Path dir;
  private final String name;

  private TestDatabase(Backend backend, Path dir, String name) {
    this.backend = backend;
    this.dir = dir;
    this.name = name;
  }

  public static TestDatabase create(Backend backend) {
    try {
      Path dir = Files.createTempDirectory("tollgate-db");
      String name = "tg_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
      if (backend == Backend.POSTGRES) {
        admin("CREATE DATABASE " + name);
      }
      return new TestDatabase(backend, dir, name);
    } catch (Exception e) {
      throw new AssertionError("could not create a test database on " + backend + ": " + e, e);
    }
  }

  public Backend backend() {
    return backend;
  }

  /** A folder of this test's own (SQLite file, spend journal). */
  public Path dir() {
    return dir;
  }

  /** What the gateway reads: DATABASE_URL for PostgreSQL (LiteLLM's URL form), TOLLGATE_DB_PATH for SQLite. */
  public Map<String, String> env() {
    return backend == Backend.POSTGRES ? Map.of("DATABASE_URL", databaseUrl(), "TOLLGATE_SPEND_JOURNAL_DIR", dir.resolve("journal").toString())
        : Map.of("TOLLGATE_DB_PATH", dir.resolve("tollgate.db").toString(), "TOLLGATE_SPEND_JOURNAL_DIR", dir.resolve("journal").toString());
  }

  public String databaseUrl() {
    return "postgresql://" + PG_USER + ":" + PG_PASSWORD + "@127.0.0.1:5432/" + name;
  }

  /** A JDBC connection for assertions. */
  public Connection connect() throws Exception {
    return backend == Backend.POSTGRES ? DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + name, PG_USER, PG_PASSWORD)
        : DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("tollgate.db"));
  }

  /** One number from a query, e.g. {@code SELECT SUM(spend) FROM tg_spend_log}. */
  public double scalar(String sql) {
    try (Connection c = connect(); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getDouble(1) : 0;
    } catch (Exception e) {
      throw new AssertionError(sql + " failed: " + e, e);
    }
  }

  private static void admin(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, PG_USER, PG_PASSWORD); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  public void close() {
    try {
      if (backend == Backend.POSTGRES) {
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      }
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (Exception e) {
      throw new AssertionError("could not drop test database " + name + ": " + e, e);
    }
  }
}
