package dev.tollgate.observe.exporter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.store.Database;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tollgate metrics-exporter}: a small HTTP server of its own (not the gateway) that serves
 * {@code GET /metrics} computed from the database every gateway replica writes to, so totals are
 * global and survive restarts, and {@code GET /health} (200 when the database answers, else 503).
 *
 * <p>The JDK's HTTP server on virtual threads: each scrape is one blocking JDBC read, which a
 * virtual thread does without an event loop to protect, and the exporter needs no more than that.
 * A scrape reuses the previous read for {@code cacheSeconds}, and concurrent scrapes share one
 * read, so several Prometheus servers cost the database at most one read per period.
 */
public final class MetricsExporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsExporter.class);
  public static final int DEFAULT_PORT = 4002;

  /** What {@code metrics-exporter}'s options say. */
  public record Options(String host, int port, int days, int cacheSeconds, int maxSeries) {
    public Options {
      if (days < 1) {
        throw new ConfigException("--days: must be at least 1 (got " + days + ")");
      }
      if (cacheSeconds < 0) {
        throw new ConfigException("--cache-seconds: must be 0 or more (got " + cacheSeconds + ")");
      }
      if (maxSeries < 1) {
        throw new ConfigException("--max-series: must be at least 1 (got " + maxSeries + ")");
      }
    }
  }

  private final Database db;
  private final DbMetrics metrics;
  private final Options options;
  private final Clock clock;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Object lock = new Object();
  private boolean schemaChecked;
  private byte[] cached;
  private long cachedUntilNanos;

  private MetricsExporter(Database db, Options options, Clock clock) throws IOException {
    this.db = db;
    this.options = options;
    this.clock = clock;
    this.metrics = new DbMetrics(db, options.days(), options.maxSeries());
    this.server = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 64);
    server.createContext("/metrics", this::metrics);
    server.createContext("/health", this::health);
    server.createContext("/", ex -> reply(ex, 404, "text/plain; charset=utf-8", "not found: try /metrics or /health\n"));
    server.setExecutor(executor);
  }

  /**
   * Opens the gateway's database (SQLite file or {@code DATABASE_URL}, as the gateway does) and
   * starts serving. The database may be down: {@code /health} then says so until it is back.
   */
  public static MetricsExporter start(GatewayConfig config, Options options) {
    return start(config, options, Clock.systemUTC());
  }

  static MetricsExporter start(GatewayConfig config, Options options, Clock clock) {
    Database db = Database.open(config);
    try {
      MetricsExporter e = new MetricsExporter(db, options, clock);
      e.server.start();
      log.info("metrics exporter on http://{}:{}/metrics, reading database {} (last {} days, cached {} s)", options.host(), e.port(),
          db.description(), options.days(), options.cacheSeconds());
      e.executor.execute(e::checkSchema); // early, without holding up start; a scrape waits for it
      return e;
    } catch (IOException e) {
      db.close();
      throw new ConfigException("metrics exporter: cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage());
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * The exporter only reads. When the schema is missing altogether (an exporter started before
   * any gateway on a fresh database), it applies the migrations, so that it serves empty series
   * instead of errors; a schema that exists is never migrated from here (that is the gateway's
   * or {@code tollgate migrate}'s job). Returns whether the schema is there.
   */
  private boolean checkSchema() {
    synchronized (lock) {
      if (schemaChecked) {
        return true;
      }
      try {
        boolean present = db.call(c -> {
          try (var rs = c.getMetaData().getTables(null, null, "tg_daily_spend", null)) {
            return rs.next();
          }
        });
        if (!present) {
          log.info("database {} has no Tollgate schema yet: applying the migrations", db.description());
          db.migrate();
        }
        schemaChecked = true;
      } catch (SQLException | RuntimeException e) {
        log.warn("database {} is not answering ({}); /health says 503 until it does", db.description(), Database.firstLine(e));
      }
      return schemaChecked;
    }
  }

  private void metrics(HttpExchange ex) throws IOException {
    if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
      reply(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
      return;
    }
    byte[] body;
    try {
      body = scrape();
    } catch (SQLException | RuntimeException e) {
      log.warn("metrics: reading database {} failed: {}", db.description(), Database.firstLine(e));
      reply(ex, 503, "text/plain; charset=utf-8", "database " + db.description() + " is not answering\n");
      return;
    }
    reply(ex, 200, PrometheusTextFormatWriter.CONTENT_TYPE, body);
  }

  /** The exposition, read again when the cached one is older than {@code cacheSeconds}; one read at a time. */
  byte[] scrape() throws SQLException, IOException {
    synchronized (lock) {
      if (cached != null && System.nanoTime() - cachedUntilNanos < 0) {
        return cached;
      }
      if (!checkSchema()) {
        throw new SQLException("schema not checked: database unreachable");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
      writer.write(out, metrics.read(clock.instant()));
      cached = out.toByteArray();
      cachedUntilNanos = System.nanoTime() + options.cacheSeconds() * 1_000_000_000L;
      return cached;
    }
  }

  private void health(HttpExchange ex) throws IOException {
    boolean up;
    try {
      up = db.call(c -> c.isValid(2));
    } catch (SQLException e) {
      up = false;
    }
    String db = "\"database\":\"" + this.db.description() + "\"";
    if (up) {
      reply(ex, 200, "application/json", "{\"status\":\"healthy\",\"db\":\"connected\"," + db + "}");
    } else {
      reply(ex, 503, "application/json", "{\"status\":\"unhealthy\",\"db\":\"disconnected\"," + db + "}");
    }
  }

  private static void reply(HttpExchange ex, int status, String contentType, String body) throws IOException {
    reply(ex, status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void reply(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", contentType);
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
      if (!head) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(body);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(1);
    executor.close();
    db.close();
  }
}
