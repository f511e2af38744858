package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.CHAT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.json.Json;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TollgateProcess;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gateway as a process, {@code kill -9} under load, then restarted: every response a client
 * received with a cost is in the database with that cost (the journal replayed), nothing twice.
 */
class SpendDurabilityIT {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  static Path config(Path dir, String upstream, String batchSeconds, String name) throws Exception {
    return config(dir, upstream, batchSeconds, name, false);
  }

  static Path config(Path dir, String upstream, String batchSeconds, String name, boolean fsyncBeforeResponse) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, """
        model_list:
          - model_name: priced
            litellm_params: {model: openai/m, api_base: %s/v1, api_key: up}
            model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}
        general_settings:
          proxy_batch_write_at: %s
          spend_journal_fsync_before_response: %s
        """.formatted(upstream, batchSeconds, fsyncBeforeResponse));
    return f;
  }

  static HttpResponse<String> post(String url, String path, String body, String key) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10))
        .header("authorization", "Bearer " + key).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Backend.class)
  void spendBilledBeforeAKillMinus9IsInTheDatabaseAfterRestart(TestDatabase.Backend backend) throws Exception {
    KeysTest upstreamSetup = new KeysTest();
    upstreamSetup.upstream();
    try (FakeUpstream up = upstreamSetup.upstream; TestDatabase db = TestDatabase.create(backend)) {
      Map<String, String> env = new HashMap<>(db.env());
      // nothing reaches the database before the kill: only the journal can save the spend
      // both journal modes survive a kill: the default (written before the response, fsync'd
      // every 100 ms) on SQLite, fsync before the response on PostgreSQL
      Path slow = config(db.dir(), up.url(), "600", "slow.yaml", backend == TestDatabase.Backend.POSTGRES);
      Map<String, Double> received = new ConcurrentHashMap<>();
      AtomicInteger lost = new AtomicInteger();
      String key;
      try (TollgateProcess gw = TollgateProcess.serve(slow, env)) {
        key = Json.MAPPER.readTree(post(gw.url(), "/key/generate", "{\"max_budget\":1000}", TestGateway.MASTER_KEY).body()).get("key").asText();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread[] clients = new Thread[16];
        for (int i = 0; i < clients.length; i++) {
          clients[i] = Thread.ofVirtual().start(() -> {
            while (running.get()) {
              try {
                HttpResponse<String> r = post(gw.url(), "/v1/chat/completions", CHAT, key);
                if (r.statusCode() == 200) {
                  received.put(r.headers().firstValue("x-litellm-call-id").orElseThrow(),
                      Double.parseDouble(r.headers().firstValue("x-litellm-response-cost").orElseThrow()));
                }
              } catch (Exception e) {
                lost.incrementAndGet(); // in flight at the kill: may or may not have been billed
                return;
              }
            }
          });
        }
        long deadline = System.currentTimeMillis() + 20_000;
        while (received.size() < 300 && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        gw.kill();
        running.set(false);
        for (Thread t : clients) {
          t.join();
        }
      }
      assertThat(received).hasSizeGreaterThanOrEqualTo(300);
      assertThat(db.scalar("SELECT COUNT(*) FROM tg_spend_log")).as("the batch interval had not come yet").isZero();

      try (TollgateProcess restarted = TollgateProcess.serve(config(db.dir(), up.url(), "0.2", "fast.yaml"), env)) {
        long deadline = System.currentTimeMillis() + 20_000;
        while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < received.size() && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        Map<String, Double> stored = new HashMap<>();
        try (var c = db.connect(); var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT request_id, spend FROM tg_spend_log")) {
          while (rs.next()) {
            stored.put(rs.getString(1), rs.getDouble(2));
          }
        }
        assertThat(stored).as("every response a client received is billed, at the cost it was told").containsAllEntriesOf(received);
        assertThat(stored.size() - received.size()).as("billed without a response: only calls in flight at the kill")
            .isBetween(0, lost.get());
        double sumStored = stored.values().stream().mapToDouble(Double::doubleValue).sum();
        assertThat(db.scalar("SELECT spend FROM tg_entity WHERE kind = 'key'")).isCloseTo(sumStored, Offset.offset(1e-9));
        assertThat(restarted.output()).contains("replaying");
      }
    }
  }
}
