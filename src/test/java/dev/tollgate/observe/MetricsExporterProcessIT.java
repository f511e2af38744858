package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.TollgateProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar tollgate.jar metrics-exporter} as the compose stack runs it: port from
 * {@code METRICS_EXPORTER_PORT}, schema created on an empty database, {@code tollgate health
 * --path /metrics} as its health check, SIGTERM exits 0, a wrong option exits 1 with one line.
 */
class MetricsExporterProcessIT {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  static Map<String, String> env(Path dir, int port) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", null);
    env.put("TOLLGATE_DB_PATH", dir.resolve("tollgate.db").toString());
    env.put("METRICS_EXPORTER_PORT", Integer.toString(port));
    return env;
  }

  static HttpResponse<String> awaitMetrics(TollgateProcess p, int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    HttpRequest metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build();
    while (true) {
      assertThat(p.isAlive()).as(p.output()).isTrue();
      try {
        return HTTP.send(metrics, HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException notYet) {
        assertThat(System.nanoTime()).as("exporter listening:\n" + p.output()).isLessThan(deadline);
        Thread.sleep(50);
      }
    }
  }

  @Test
  void servesMetricsOnItsOwnPortFromAFreshDatabaseAndStopsCleanly(@TempDir Path dir) throws Exception {
    int port = TollgateProcess.freePort();
    try (TollgateProcess p = TollgateProcess.start(env(dir, port), "metrics-exporter", "--host", "127.0.0.1")) {
      HttpResponse<String> r = awaitMetrics(p, port);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("tollgate_db_exporter_window_days 7.0");
      assertThat(p.output()).contains("has no Tollgate schema yet: applying the migrations");
      try (TollgateProcess health = TollgateProcess.start(Map.of(), "health", "--port", Integer.toString(port), "--path", "/metrics")) {
        assertThat(health.awaitExit(Duration.ofSeconds(30))).as(health.output()).isZero();
      }
      p.terminate();
      assertThat(p.awaitExit(Duration.ofSeconds(15))).as(p.output()).isZero();
    }
  }

  @Test
  void aWrongOptionExitsOneWithOneLine(@TempDir Path dir) throws Exception {
    try (TollgateProcess p = TollgateProcess.start(env(dir, 0), "metrics-exporter", "--days", "0")) {
      assertThat(p.awaitExit(Duration.ofSeconds(30))).as(p.output()).isEqualTo(1);
      assertThat(p.output().lines().filter(l -> !l.isBlank()).toList()).containsExactly("metrics-exporter: --days: must be at least 1 (got 0)");
    }
  }
}
