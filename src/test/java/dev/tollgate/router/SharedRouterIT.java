package dev.tollgate.router;

import static dev.tollgate.router.FakeAnswers.chat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.CalendarMinute;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.RedisServer;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two gateways sharing one real Redis: cooldowns, usage and the response cache are seen by both. */
class SharedRouterIT {
  private RedisServer redis;
  private FakeUpstream upstream;
  private TestGateway one;
  private TestGateway two;

  @BeforeEach
  void start() {
    redis = RedisServer.start();
    upstream = FakeUpstream.start();
  }

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {one, two, upstream, redis}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // keep closing the others
      }
    }
  }

  private String deployment(String path, String extra) {
    return "  - model_name: g\n    litellm_params:\n      model: openai/m\n      api_key: sk-x\n"
        + "      api_base: " + upstream.url() + "/" + path + "/v1\n" + extra;
  }

  private void startBoth(String yaml) {
    String withRedis = yaml + "  redis_host: 127.0.0.1\n  redis_port: " + redis.port() + "\n";
    one = TestGateway.start(withRedis);
    two = TestGateway.start(withRedis);
  }

  private long hits(String path) {
    return upstream.received().stream().filter(r -> r.path().startsWith("/" + path + "/")).count();
  }

  private static void waitForRefresh() throws InterruptedException {
    Thread.sleep(3 * RouterState.REFRESH_MS);
  }

  @Test
  void aDeploymentCooledDownByOneGatewayIsSkippedByTheOther() throws Exception {
    upstream.onPost("/a/v1/chat/completions", rc -> FakeAnswers.fail(rc, 429, null));
    upstream.onPost("/b/v1/chat/completions", rc -> FakeAnswers.ok(rc, "b"));
    startBoth("model_list:\n" + deployment("a", "      order: 1\n") + deployment("b", "      order: 2\n")
        + "router_settings:\n  num_retries: 1\n  cooldown_time: 30\n");

    assertThat(one.post("/v1/chat/completions", chat("x").replace("MODEL", "g")).statusCode()).isEqualTo(200);
    assertThat(hits("a")).isEqualTo(1);
    waitForRefresh();
    for (int i = 0; i < 5; i++) {
      assertThat(two.post("/v1/chat/completions", chat("x").replace("MODEL", "g")).statusCode()).isEqualTo(200);
    }
    assertThat(hits("a")).as("gateway two must skip the deployment gateway one cooled down").isEqualTo(1);
    assertThat(hits("b")).isEqualTo(6);
  }

  @Test
  void usageLimitsCountTheTrafficOfEveryGateway() throws Exception {
    upstream.onPost("/a/v1/chat/completions", rc -> FakeAnswers.ok(rc, "a"));
    startBoth("model_list:\n" + deployment("a", "      rpm: 4\n")
        + "router_settings:\n  routing_strategy: usage-based-routing-v2\n  num_retries: 0\n");

    CalendarMinute.awaitRoomFor(10);
    for (TestGateway g : new TestGateway[] {one, two, one, two}) {
      assertThat(g.post("/v1/chat/completions", chat("x").replace("MODEL", "g")).statusCode()).isEqualTo(200);
    }
    waitForRefresh();
    HttpResponse<String> fifth = one.post("/v1/chat/completions", chat("x").replace("MODEL", "g"));
    assertThat(fifth.statusCode()).as("rpm 4 used up by both gateways together: %s", fifth.body()).isEqualTo(429);
    assertThat(hits("a")).isEqualTo(4);
  }

  @Test
  void latenciesMeasuredByOneGatewaySteerTheOther() throws Exception {
    upstream.onPost("/slow/v1/chat/completions", rc -> upstream.vertx().setTimer(300, t -> FakeAnswers.ok(rc, "slow")));
    upstream.onPost("/fast/v1/chat/completions", rc -> FakeAnswers.ok(rc, "fast"));
    startBoth("model_list:\n" + deployment("slow", "") + deployment("fast", "")
        + "router_settings:\n  routing_strategy: latency-based-routing\n");

    for (int i = 0; i < 4; i++) { // an unmeasured deployment is tried first, so both get measured
      one.post("/v1/chat/completions", chat("x").replace("MODEL", "g"));
    }
    long slowHits = hits("slow");
    assertThat(slowHits).isGreaterThanOrEqualTo(1);
    waitForRefresh();
    for (int i = 0; i < 5; i++) {
      assertThat(two.post("/v1/chat/completions", chat("x").replace("MODEL", "g")).body()).contains("fast");
    }
    assertThat(hits("slow")).as("gateway two knows the slow deployment from gateway one's measurements").isEqualTo(slowHits);
  }

  @Test
  void anAnswerCachedByOneGatewayIsServedByTheOtherAndRedisOutagesAreSurvived() throws Exception {
    AtomicInteger n = new AtomicInteger();
    upstream.onPost("/a/v1/chat/completions", rc -> FakeAnswers.ok(rc, "answer " + n.incrementAndGet()));
    startBoth("model_list:\n" + deployment("a", "")
        + "litellm_settings:\n  cache: true\n  cache_params:\n    type: redis\n    host: 127.0.0.1\n    port: " + redis.port()
        + "\nrouter_settings:\n");

    HttpResponse<String> first = one.post("/v1/chat/completions", chat("cache me").replace("MODEL", "g"));
    assertThat(first.body()).contains("answer 1");
    assertThat(first.headers().firstValue("x-litellm-cache-key")).isEmpty();
    Thread.sleep(100); // the write is not awaited
    HttpResponse<String> second = two.post("/v1/chat/completions", chat("cache me").replace("MODEL", "g"));
    assertThat(second.body()).contains("answer 1");
    assertThat(second.headers().firstValue("x-litellm-cache-key")).isPresent();
    assertThat(two.get("/cache/ping").body()).contains("\"cache_type\":\"redis\"");

    redis.stop();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = one.post("/v1/chat/completions", chat("while down " + i).replace("MODEL", "g"));
      assertThat(r.statusCode()).as("served while Redis is down").isEqualTo(200);
    }
    assertThat(two.get("/cache/ping").statusCode()).isEqualTo(503);

    redis.restart();
    long deadline = System.currentTimeMillis() + 40_000;
    boolean shared = false;
    while (!shared && System.currentTimeMillis() < deadline) {
      String prompt = "after restart " + System.nanoTime();
      one.post("/v1/chat/completions", chat(prompt).replace("MODEL", "g"));
      Thread.sleep(100);
      shared = two.post("/v1/chat/completions", chat(prompt).replace("MODEL", "g")).headers()
          .firstValue("x-litellm-cache-key").isPresent();
      if (!shared) {
        Thread.sleep(400);
      }
    }
    assertThat(shared).as("the cache is shared again once Redis is back").isTrue();
  }
}
