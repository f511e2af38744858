package dev.tollgate.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's database: a SQLite file by default, PostgreSQL when {@code DATABASE_URL} (or
 * {@code general_settings.database_url}) is set. A bounded Hikari pool; every call blocks, so
 * callers run it on a virtual thread or worker, never on an event loop. Tracks whether the
 * database answered last time, for readiness and for the "known keys keep working" mode.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);
  public static final String DEFAULT_SQLITE_PATH = "./tollgate.db";

  /** Where to connect; {@code description} never contains a password. */
  public record Settings(String jdbcUrl, String user, String password, boolean postgres, int poolSize, String description) {}

  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final Settings settings;
  private final HikariDataSource pool;
  private final AtomicBoolean reachable = new AtomicBoolean(true);

  public Database(Settings settings) {
    this.settings = settings;
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(settings.jdbcUrl());
    hc.setUsername(settings.user());
    hc.setPassword(settings.password());
    hc.setMaximumPoolSize(settings.poolSize());
    hc.setMinimumIdle(Math.min(2, settings.poolSize()));
    hc.setPoolName("tollgate-db");
    hc.setConnectionTimeout(3_000);
    hc.setValidationTimeout(1_000);
    // start even when the database is down: known keys keep working, spend waits in the journal
    hc.setInitializationFailTimeout(-1);
    if (!settings.postgres()) {
      hc.addDataSourceProperty("journal_mode", "WAL");
      hc.addDataSourceProperty("busy_timeout", "10000");
      hc.addDataSourceProperty("synchronous", "NORMAL");
    } else {
      hc.addDataSourceProperty("connectTimeout", "3");
      hc.addDataSourceProperty("socketTimeout", "30");
    }
    this.pool = new HikariDataSource(hc);
  }

  /**
   * {@code DATABASE_URL} / {@code general_settings.database_url} (PostgreSQL, as LiteLLM users
   * write it: {@code postgresql://user:pass@host:port/db}), else the SQLite file at
   * {@code general_settings.database_path} / {@code TOLLGATE_DB_PATH} / {@code ./tollgate.db}.
   */
  public static Settings settings(GatewayConfig config) {
    ConfigNode general = config.generalSettings();
    int pool = general.optNonNegativeInt("database_connection_pool_limit").orElse(10);
    if (pool < 1) {
      throw general.error("database_connection_pool_limit", "must be at least 1");
    }
    String url = general.optString("database_url").or(() -> config.env().get("DATABASE_URL"))
        .or(() -> urlFromParts(config.env())).orElse(null);
    if (url != null) {
      return postgres(url, pool);
    }
    String path = general.optString("database_path").or(() -> config.env().get("TOLLGATE_DB_PATH")).orElse(DEFAULT_SQLITE_PATH);
    // SQLite has one writer at a time: a few connections are plenty
    return new Settings("jdbc:sqlite:" + path, null, null, false, Math.min(pool, 4), "sqlite:" + path);
  }

  /**
   * As LiteLLM: without {@code DATABASE_URL}, {@code DATABASE_HOST} (host or host:port),
   * {@code DATABASE_USERNAME}, {@code DATABASE_PASSWORD} and {@code DATABASE_NAME} together make one.
   */
  private static Optional<String> urlFromParts(Environment env) {
    Optional<String> host = env.get("DATABASE_HOST");
    Optional<String> user = env.get("DATABASE_USERNAME");
    Optional<String> password = env.get("DATABASE_PASSWORD");
    Optional<String> name = env.get("DATABASE_NAME");
    if (host.isEmpty() || user.isEmpty() || password.isEmpty() || name.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("postgresql://" + percentEncoded(user.get()) + ":" + percentEncoded(password.get()) + "@" + host.get() + "/"
        + name.get());
  }

  /** As in a URL's user info, where a + is a +: URLEncoder and URLDecoder speak forms, where it is a space. */
  private static String percentEncoded(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String percentDecoded(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  static Settings postgres(String url, int pool) {
    if (url.startsWith("jdbc:postgresql:")) {
      return new Settings(url, null, null, true, pool, redact(url));
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("DATABASE_URL: not a valid URL (expected postgresql://user:password@host:port/database)");
    }
    if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
      throw new ConfigException("DATABASE_URL: scheme \"" + uri.getScheme() + "\" is not supported (expected postgresql://user:password@host:port/database)");
    }
    if (uri.getHost() == null) {
      throw new ConfigException("DATABASE_URL: no host (expected postgresql://user:password@host:port/database)");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = percentDecoded(parts[0]);
      password = parts.length > 1 ? percentDecoded(parts[1]) : null;
    }
    String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/postgres" : uri.getRawPath();
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    String jdbc = "jdbc:postgresql://" + hostPort + path + query;
    return new Settings(jdbc, user, password, true, pool, "postgresql://" + hostPort + path);
  }

  private static String redact(String url) {
    return url.replaceAll("password=[^&]*", "password=***");
  }

  public static Database open(GatewayConfig config) {
    Settings s = settings(config);
    if (!s.postgres()) {
      Path file = Path.of(s.jdbcUrl().substring("jdbc:sqlite:".length())).toAbsolutePath();
      try {
        if (file.getParent() != null) {
          Files.createDirectories(file.getParent());
        }
      } catch (java.io.IOException e) {
        throw new ConfigException("general_settings.database_path: cannot create " + file.getParent() + ": " + e.getMessage());
      }
    }
    return new Database(s);
  }

  public boolean postgres() {
    return settings.postgres();
  }

  public String description() {
    return settings.description();
  }

  /** Whether the last database call succeeded. */
  public boolean reachable() {
    return reachable.get();
  }

  /**
   * Applies the versioned migrations (bundled in the jar, nothing downloaded). Safe when several
   * replicas start at once: Flyway serialises them with a PostgreSQL advisory lock (SQLite: the
   * file lock), and the later ones find the schema current.
   */
  public void migrate() {
    if (!schemaIsCurrent()) {
      migrate("latest");
    }
  }

  /** The newest migration bundled in this jar; raise it with each new {@code V<n>__*.sql}. */
  static final int LATEST_VERSION = 2;

  /**
   * A cheap check that saves starting Flyway (hundreds of milliseconds) on the usual restart:
   * the history table says every bundled migration succeeded. Anything else goes through Flyway.
   */
  private boolean schemaIsCurrent() {
    try {
      return call(c -> {
        try (var s = c.createStatement();
            var rs = s.executeQuery("SELECT COUNT(*) FROM tg_schema_history WHERE success = " + (postgres() ? "true" : "1")
                + " AND version = '" + LATEST_VERSION + "'")) {
          return rs.next() && rs.getInt(1) == 1;
        }
      });
    } catch (SQLException e) {
      return false; // no history table yet, or the database is down: Flyway says which
    }
  }

  /** Migrates up to a version ("latest" for all): tests use it to start from an older schema. */
  void migrate(String target) {
    if (postgres()) {
      flyway(target); // Flyway holds a PostgreSQL advisory lock while it migrates
      return;
    }
    // Flyway has no lock on SQLite: replicas sharing the file take turns through a lock file
    Path lockFile = Path.of(settings.jdbcUrl().substring("jdbc:sqlite:".length()) + ".migrate-lock");
    synchronized (Database.class) {
      try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
        flyway(target);
      } catch (java.io.IOException e) {
        throw new MigrationException("database " + description() + ": migration lock " + lockFile + ": " + e.getMessage(), e);
      }
    }
  }

  private void flyway(String target) {
    try {
      var result = Flyway.configure(Database.class.getClassLoader())
          .dataSource(pool)
          .target(target)
          .locations("classpath:db/migration")
          .table("tg_schema_history")
          .baselineOnMigrate(false)
          .load()
          .migrate();
      if (result.migrationsExecuted > 0) {
        log.info("database {}: applied {} migration(s), schema at version {}", description(), result.migrationsExecuted, result.targetSchemaVersion);
      }
      reachable.set(true);
    } catch (FlywayException e) {
      reachable.set(false);
      throw new MigrationException("database " + description() + ": migration failed: " + firstLine(e), e);
    }
  }

  /** Runs work on one pooled connection, auto-commit. Blocking. */
  public <T> T call(Work<T> work) throws SQLException {
    try (Connection c = pool.getConnection()) {
      T result = work.run(c);
      markReachable();
      return result;
    } catch (SQLException e) {
      noteFailure(e);
      throw e;
    }
  }

  /** Runs work in one transaction; rolled back when it throws. Blocking. */
  public <T> T transaction(Work<T> work) throws SQLException {
    return call(c -> {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is broken; the pool discards it
        }
        throw e;
      } finally {
        try {
          c.setAutoCommit(true);
        } catch (SQLException ignored) {
          // as above
        }
      }
    });
  }

  private static final int SQLITE_ERROR = 1;
  private static final int SQLITE_CONSTRAINT = 19;

  /**
   * A unique key, primary key or other constraint refused the change (PostgreSQL: SQL state 23xxx;
   * SQLite: result code 19, which xerial reports without a SQL state): the row is wrong, the
   * database is fine.
   */
  public static boolean isConstraintViolation(SQLException e) {
    String state = e.getSQLState();
    return e instanceof java.sql.SQLIntegrityConstraintViolationException || (state != null && state.startsWith("23"))
        || (state == null && (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT);
  }

  private void noteFailure(SQLException e) {
    String state = e.getSQLState();
    // connection-class errors (08xxx) and pool timeouts mean unreachable; constraint errors do not,
    // nor SQLite's plain SQL error (code 1, no SQL state: e.g. the history table of a fresh file)
    boolean sqlError = state == null && (e.getErrorCode() == SQLITE_ERROR || isConstraintViolation(e));
    boolean connection = (state == null && !sqlError) || (state != null && state.startsWith("08"))
        || e instanceof java.sql.SQLTransientConnectionException;
    if (connection && reachable.compareAndSet(true, false)) {
      log.warn("database {} is unreachable: {}; known keys keep working, spend is kept until it is back", description(), firstLine(e));
    }
  }

  public static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null) {
        m = t.getMessage(); // the deepest message names the real problem (connection refused, ...)
      }
    }
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** Marks the database as answering again (after a successful probe). */
  void markReachable() {
    if (reachable.compareAndSet(false, true)) {
      log.info("database {} is reachable again", description());
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  /** A migration that could not be applied; its message is one line for the operator. */
  public static final class MigrationException extends RuntimeException {
    MigrationException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
