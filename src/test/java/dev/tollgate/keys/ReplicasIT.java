package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.CHAT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.json.Json;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TollgateProcess;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestGateway;
import dev.tollgate.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Separate gateway processes on one PostgreSQL (and Redis): migrations at once, one budget. */
class ReplicasIT {

  static Process migrate(Map<String, String> env, Path out) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("tollgate.jar", "target/tollgate.jar"), "migrate").redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  @Test
  void twoReplicasMigratingAtOnceBothSucceedAndAnUnreachableDatabaseFailsWithOneLine() throws Exception {
    try (TestDatabase db = TestDatabase.create(TestDatabase.Backend.POSTGRES)) {
      Map<String, String> env = Map.of("DATABASE_URL", db.databaseUrl());
      Path o1 = db.dir().resolve("m1.log");
      Path o2 = db.dir().resolve("m2.log");
      Process a = migrate(env, o1);
      Process b = migrate(env, o2);
      assertThat(a.waitFor(60, TimeUnit.SECONDS) && b.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(a.exitValue()).as(Files.readString(o1)).isZero();
      assertThat(b.exitValue()).as(Files.readString(o2)).isZero();
      assertThat(Files.readString(o1)).contains("schema is current");
      assertThat(db.scalar("SELECT COUNT(*) FROM tg_schema_history WHERE success")).isEqualTo(2);

      Path o3 = db.dir().resolve("m3.log");
      Process bad = migrate(Map.of("DATABASE_URL", "postgresql://tollgate:tollgate@127.0.0.1:1/none"), o3);
      assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(bad.exitValue()).isEqualTo(1);
      assertThat(Files.readString(o3).lines().filter(l -> l.startsWith("migrate failed")).toList()).singleElement()
          .asString().contains("postgresql://127.0.0.1:1/none").doesNotContain("tollgate:tollgate");
    }
  }

  @Test
  void twoTollgateProcessesSharingPostgresAndRedisNeverOvershootOneBudget() throws Exception {
    KeysTest setup = new KeysTest();
    setup.upstream();
    try (FakeUpstream up = setup.upstream; TestDatabase db = TestDatabase.create(TestDatabase.Backend.POSTGRES);
        RedisServer redis = RedisServer.start()) {
      Path config = SpendDurabilityIT.config(db.dir(), up.url(), "0.2", "config.yaml");
      Map<String, String> env = new HashMap<>(db.env());
      env.put("REDIS_URL", redis.url());
      try (TollgateProcess a = TollgateProcess.serve(config, env); TollgateProcess b = TollgateProcess.serve(config, env)) {
        String key = Json.MAPPER.readTree(SpendDurabilityIT.post(a.url(), "/key/generate", "{\"max_budget\":1.0}", TestGateway.MASTER_KEY)
            .body()).get("key").asText();
        long deadline = System.currentTimeMillis() + 10_000;
        while (SpendDurabilityIT.post(b.url(), "/v1/models", "{}", key).statusCode() == 401 && System.currentTimeMillis() < deadline) {
          Thread.sleep(50);
        }
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          String url = (i % 2 == 0 ? a : b).url();
          calls.add(SpendDurabilityIT.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
              .timeout(Duration.ofSeconds(30)).header("authorization", "Bearer " + key).header("content-type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        double billed = 0;
        for (var f : calls) {
          HttpResponse<String> r = f.get();
          if (r.statusCode() == 200) {
            ok++;
            billed += Double.parseDouble(r.headers().firstValue("x-litellm-response-cost").orElseThrow());
          }
        }
        assertThat(ok).isEqualTo(50);
        assertThat(billed).isLessThanOrEqualTo(1.0 + 1e-9);
        deadline = System.currentTimeMillis() + 15_000;
        while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < ok && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        assertThat(db.scalar("SELECT SUM(spend) FROM tg_spend_log")).isCloseTo(billed, org.assertj.core.data.Offset.offset(1e-9));
      }
    }
  }
}
