package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.CHAT;
import static dev.tollgate.keys.KeysTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TcpProxy;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** PostgreSQL goes away under load and comes back: known keys keep working, no false 401, no spend lost. */
class DatabaseOutageTest {

  @Test
  void knownKeysKeepWorkingUnknownKeysGet503AndSpendArrivesWhenTheDatabaseIsBack() throws Exception {
    KeysTest shared = new KeysTest();
    shared.upstream();
    try (FakeUpstream ignored = shared.upstream; TestDatabase db = TestDatabase.create(TestDatabase.Backend.POSTGRES);
        TcpProxy proxy = TcpProxy.start("127.0.0.1", 5432)) {
      Map<String, String> env = new HashMap<>(db.env());
      env.put("DATABASE_URL", db.databaseUrl().replace(":5432/", ":" + proxy.port() + "/"));
      env.put("TOLLGATE_CACHE_REFRESH_SECONDS", "0.5");
      try (TestGateway gw = TestGateway.start(shared.yaml(), env)) {
        String key = KeysTest.generate(gw, "{\"max_budget\":100}");
        assertThat(gw.post("/v1/chat/completions", CHAT, key).statusCode()).isEqualTo(200);

        proxy.cut();
        double billed = 0.02;
        long deadline = System.currentTimeMillis() + 15_000;
        while (!gw.get("/health/readiness").body().contains("\"disconnected\"") && System.currentTimeMillis() < deadline) {
          HttpResponse<String> r = gw.post("/v1/chat/completions", CHAT, key);
          assertThat(r.statusCode()).as("a known key while the database goes away").isEqualTo(200);
          billed += Double.parseDouble(r.headers().firstValue("x-litellm-response-cost").orElseThrow());
          Thread.sleep(50);
        }
        for (int i = 0; i < 20; i++) {
          HttpResponse<String> r = gw.post("/v1/chat/completions", CHAT, key);
          assertThat(r.statusCode()).as("a known key while the database is down").isEqualTo(200);
          billed += Double.parseDouble(r.headers().firstValue("x-litellm-response-cost").orElseThrow());
        }
        HttpResponse<String> unknown = gw.post("/v1/chat/completions", CHAT, "sk-not-in-the-cache");
        assertThat(unknown.statusCode()).isEqualTo(503);
        assertThat(json(unknown).at("/error/message").asText()).contains("database is unreachable");
        assertThat(gw.post("/key/generate", "{}").statusCode()).isEqualTo(503);
        assertThat(db.scalar("SELECT spend FROM tg_entity WHERE kind = 'key'")).isLessThan(billed);

        proxy.restore();
        deadline = System.currentTimeMillis() + 20_000;
        while (Math.abs(db.scalar("SELECT spend FROM tg_entity WHERE kind = 'key'") - billed) > 1e-9 && System.currentTimeMillis() < deadline) {
          Thread.sleep(200);
        }
        assertThat(db.scalar("SELECT spend FROM tg_entity WHERE kind = 'key'")).isCloseTo(billed, Offset.offset(1e-9));
        assertThat(db.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(Math.round(billed / 0.02));
        assertThat(gw.post("/v1/chat/completions", CHAT, "sk-not-in-the-cache").statusCode()).isEqualTo(401);
      }
    }
  }
}
