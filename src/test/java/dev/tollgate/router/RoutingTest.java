package dev.tollgate.router;

import static dev.tollgate.router.FakeAnswers.chat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.CalendarMinute;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retries, fallbacks, cooldowns, timeouts and streams, end to end through a real gateway and fake upstreams. */
class RoutingTest {
  private FakeUpstream upstream;
  private TestGateway gateway;

  @BeforeEach
  void startUpstream() {
    upstream = FakeUpstream.start();
  }

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    upstream.close();
  }

  /** A deployment of group {@code group} whose upstream lives under {@code /path} of the fake. */
  private String deployment(String group, String path, String extra) {
    return "  - model_name: " + group + "\n    litellm_params:\n      model: openai/m\n      api_key: sk-x\n"
        + "      api_base: " + upstream.url() + "/" + path + "/v1\n" + extra;
  }

  private long hits(String path) {
    return upstream.received().stream().filter(r -> r.path().startsWith("/" + path + "/")).count();
  }

  private List<String> hitOrder() {
    return upstream.received().stream().map(r -> r.path().split("/")[1]).toList();
  }

  @Test
  void aRequestIsNeverRetriedMoreThanConfigured() {
    for (String p : List.of("a", "b", "c")) {
      upstream.onPost("/" + p + "/v1/chat/completions", rc -> FakeAnswers.fail(rc, 500, null));
    }
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "") + deployment("g", "b", "") + deployment("g", "c", "")
        + "router_settings:\n  num_retries: 2\n  allowed_fails: 100\n");

    HttpResponse<String> r = gateway.post("/v1/chat/completions", chat("hi").replace("MODEL", "g"));

    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(upstream.received()).hasSize(3);
    assertThat(r.headers().firstValue("x-litellm-attempted-retries")).hasValue("2");

    upstream.received().clear();
    HttpResponse<String> once = TestGateway.send(request("/v1/chat/completions", chat("hi").replace("MODEL", "g"))
        .header("x-litellm-num-retries", "0").build());
    assertThat(once.statusCode()).isEqualTo(500);
    assertThat(upstream.received()).hasSize(1);

    upstream.received().clear();
    gateway.post("/v1/chat/completions", "{\"model\":\"g\",\"num_retries\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(upstream.received()).hasSize(2);
  }

  @Test
  void badRequestsAreNotRetried() {
    upstream.onPost("/a/v1/chat/completions", rc -> FakeAnswers.fail(rc, 400, null));
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "") + "router_settings:\n  num_retries: 3\n");
    assertThat(gateway.post("/v1/chat/completions", chat("hi").replace("MODEL", "g")).statusCode()).isEqualTo(400);
    assertThat(upstream.received()).hasSize(1);
  }

  @Test
  void fallbacksFollowTheConfiguredOrderAfterRetries() {
    upstream.onPost("/a/v1/chat/completions", rc -> FakeAnswers.fail(rc, 503, null));
    upstream.onPost("/b/v1/chat/completions", rc -> FakeAnswers.fail(rc, 500, null));
    upstream.onPost("/c/v1/chat/completions", rc -> FakeAnswers.ok(rc, "from c"));
    upstream.onPost("/d/v1/chat/completions", rc -> FakeAnswers.ok(rc, "from d"));
    gateway = TestGateway.start("model_list:\n" + deployment("a", "a", "") + deployment("b", "b", "")
        + deployment("c", "c", "") + deployment("d", "d", "")
        + "router_settings:\n  num_retries: 1\n  retry_after: 0\n  fallbacks: [{\"a\": [\"b\", \"c\", \"d\"]}]\n");

    HttpResponse<String> r = gateway.post("/v1/chat/completions", chat("hi").replace("MODEL", "a"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("from c");
    // a: first try + 1 retry, b: first try + 1 retry, then c; d never asked
    assertThat(hitOrder()).containsExactly("a", "a", "b", "b", "c");
    assertThat(r.headers().firstValue("x-litellm-attempted-fallbacks")).hasValue("2");
    assertThat(r.headers().firstValue("x-litellm-attempted-retries")).hasValue("2");

    upstream.received().clear();
    HttpResponse<String> perRequest = gateway.post("/v1/chat/completions",
        "{\"model\":\"a\",\"num_retries\":0,\"fallbacks\":[\"d\"],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(perRequest.body()).contains("from d");
    assertThat(hitOrder()).containsExactly("a", "d");

    upstream.received().clear();
    HttpResponse<String> withItsOwnPrompt = gateway.post("/v1/chat/completions", "{\"model\":\"a\",\"num_retries\":0,"
        + "\"fallbacks\":[{\"model\":\"d\",\"messages\":[{\"role\":\"user\",\"content\":\"shorter\"}]}],"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"original\"}]}");
    assertThat(withItsOwnPrompt.body()).contains("from d");
    assertThat(upstream.received()).extracting(q -> q.path().split("/")[1] + ":" + (q.bodyString().contains("shorter") ? "shorter" : "original"))
        .as("a fallback entry's fields replace the request's for that model, as LiteLLM's").containsExactly("a:original", "d:shorter");

    upstream.received().clear();
    HttpResponse<String> disabled = gateway.post("/v1/chat/completions",
        "{\"model\":\"a\",\"num_retries\":0,\"disable_fallbacks\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(disabled.statusCode()).isEqualTo(503);
    assertThat(hitOrder()).containsExactly("a");
    assertThat(disabled.body()).as("LiteLLM's ending of the last error").contains("\\nReceived Model Group=a\\nAvailable Model Group Fallbacks=None");

    HttpResponse<String> allFail = gateway.post("/v1/chat/completions",
        "{\"model\":\"a\",\"num_retries\":0,\"fallbacks\":[\"b\"],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(allFail.statusCode()).as("the last group's error").isEqualTo(500);
    assertThat(allFail.body()).contains("\\nReceived Model Group=a\\nAvailable Model Group Fallbacks=['b']");

    upstream.received().clear();
    HttpResponse<String> mocked = gateway.post("/v1/chat/completions",
        "{\"model\":\"c\",\"mock_testing_fallbacks\":true,\"fallbacks\":[\"d\"],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(mocked.body()).contains("from d");
    assertThat(hitOrder()).containsExactly("d");
  }

  @Test
  void rateLimitedDeploymentIsRetriedAfterItsRetryAfter() {
    AtomicInteger calls = new AtomicInteger();
    upstream.onPost("/a/v1/chat/completions", rc -> {
      if (calls.getAndIncrement() == 0) {
        FakeAnswers.fail(rc, 429, "1");
      } else {
        FakeAnswers.ok(rc, "after wait");
      }
    });
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "") + "router_settings:\n  num_retries: 1\n");
    long t0 = System.nanoTime();
    HttpResponse<String> r = gateway.post("/v1/chat/completions", chat("hi").replace("MODEL", "g"));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("after wait");
    assertThat(ms).isGreaterThanOrEqualTo(950);
    assertThat(r.headers().firstValue("x-litellm-attempted-retries")).hasValue("1");
  }

  @Test
  void throttledDeploymentsCoolDownAndAFullyCoolingGroupAnswers429() {
    upstream.onPost("/a/v1/chat/completions", rc -> FakeAnswers.fail(rc, 429, "30"));
    AtomicInteger bCalls = new AtomicInteger();
    upstream.onPost("/b/v1/chat/completions", rc -> {
      if (bCalls.incrementAndGet() <= 5) {
        FakeAnswers.ok(rc, "b");
      } else {
        FakeAnswers.fail(rc, 429, null);
      }
    });
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "") + deployment("g", "b", "")
        + "router_settings:\n  num_retries: 1\n  cooldown_time: 30\n");

    for (int i = 0; i < 5; i++) {
      assertThat(gateway.post("/v1/chat/completions", chat("hi").replace("MODEL", "g")).statusCode()).isEqualTo(200);
    }
    assertThat(hits("a")).isLessThanOrEqualTo(1); // once throttled, skipped for cooldown_time

    HttpResponse<String> sixth = gateway.post("/v1/chat/completions", chat("hi").replace("MODEL", "g"));
    HttpResponse<String> none = gateway.post("/v1/chat/completions", chat("hi").replace("MODEL", "g"));
    assertThat(none.statusCode()).isEqualTo(429);
    assertThat(none.body()).contains("No deployments available for selected model, Try again in ");
    assertThat(Integer.parseInt(none.headers().firstValue("retry-after").orElseThrow())).isBetween(1, 30);
    assertThat(sixth.statusCode()).isEqualTo(429);
  }

  @Test
  void requestTimeoutHeaderBoundsTheUpstreamWait() {
    upstream.onPost("/a/v1/chat/completions", rc -> upstream.vertx().setTimer(3000, t -> FakeAnswers.ok(rc, "late")));
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "") + "router_settings:\n  num_retries: 0\n");
    long t0 = System.nanoTime();
    HttpResponse<String> r = TestGateway.send(request("/v1/chat/completions", chat("hi").replace("MODEL", "g"))
        .header("x-litellm-timeout", "0.3").build());
    // 408; 502 until the core's fix for the reset racing the timeout ("Stream reset") is merged
    assertThat(r.statusCode()).isIn(408, 502);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2500);
  }

  @Test
  void aSlowFirstChunkIsRetriedElsewhereAndTheLateStreamNeverReachesTheClient() throws Exception {
    upstream.onPost("/a/v1/chat/completions", rc -> upstream.vertx().setTimer(800, t -> FakeAnswers.stream(rc, "SLOW")));
    upstream.onPost("/b/v1/chat/completions", rc -> FakeAnswers.stream(rc, "fa", "st"));
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "      stream_timeout: 0.2\n      order: 1\n")
        + deployment("g", "b", "      order: 2\n") + "router_settings:\n  num_retries: 1\n");

    HttpResponse<String> r = gateway.post("/v1/chat/completions",
        "{\"model\":\"g\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    Thread.sleep(1000); // let the slow upstream answer late

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"fa\"").contains("\"st\"").doesNotContain("SLOW");
    assertThat(r.body().split("\\[DONE\\]", -1)).hasSize(2);
    assertThat(hitOrder()).containsExactly("a", "b");
  }

  @Test
  void aStreamThatBreaksAfterItsFirstChunkIsNotRetried() {
    upstream.onPost("/a/v1/chat/completions", rc -> {
      rc.response().setChunked(true).putHeader("content-type", "text/event-stream").write(FakeAnswers.chunk("partial"));
      upstream.vertx().setTimer(100, t -> rc.request().connection().close());
    });
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "") + deployment("g", "a", "      weight: 2\n")
        + "router_settings:\n  num_retries: 3\n");
    HttpResponse<String> r = gateway.post("/v1/chat/completions",
        "{\"model\":\"g\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertThat(r.body()).contains("partial").contains("\"error\"");
    assertThat(r.body().split("partial", -1)).hasSize(2);
    assertThat(upstream.received()).hasSize(1);
  }

  @Test
  void preCallChecksSendLongPromptsToTheContextWindowFallback() {
    upstream.onPost("/small/v1/chat/completions", rc -> FakeAnswers.ok(rc, "small"));
    upstream.onPost("/big/v1/chat/completions", rc -> FakeAnswers.ok(rc, "big"));
    gateway = TestGateway.start("model_list:\n" + deployment("small", "small", "    model_info:\n      max_input_tokens: 20\n")
        + deployment("big", "big", "    model_info:\n      max_input_tokens: 100000\n")
        + "router_settings:\n  enable_pre_call_checks: true\n  context_window_fallbacks: [{\"small\": [\"big\"]}]\n");
    assertThat(gateway.post("/v1/chat/completions", chat("short").replace("MODEL", "small")).body()).contains("\"small\"");
    assertThat(gateway.post("/v1/chat/completions", chat("long ".repeat(100)).replace("MODEL", "small")).body()).contains("\"big\"");
    assertThat(hits("small")).isEqualTo(1);
  }

  @Test
  void aliasesWildcardsTagsAndOrderChooseTheRightDeployment() {
    for (String p : List.of("paid", "free", "first", "second", "any")) {
      upstream.onPost("/" + p + "/v1/chat/completions", rc -> FakeAnswers.ok(rc, p));
    }
    gateway = TestGateway.start("model_list:\n"
        + deployment("tagged", "paid", "      tags: [\"paid\"]\n") + deployment("tagged", "free", "      tags: [\"default\"]\n")
        + deployment("tiers", "first", "      order: 1\n") + deployment("tiers", "second", "      order: 2\n")
        + "  - model_name: \"openai/*\"\n    litellm_params:\n      model: \"openai/*\"\n      api_key: sk-x\n      api_base: "
        + upstream.url() + "/any/v1\n"
        + "router_settings:\n  enable_tag_filtering: true\n  model_group_alias: {\"nick\": \"tiers\"}\n");

    for (int i = 0; i < 5; i++) {
      assertThat(gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "nick")).body()).contains("\"first\"");
      assertThat(gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "tagged")).body()).contains("\"free\"");
      assertThat(TestGateway.send(request("/v1/chat/completions", chat("x").replace("MODEL", "tagged"))
          .header("x-litellm-tags", "paid").build()).body()).contains("\"paid\"");
    }
    upstream.received().clear();
    assertThat(gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "openai/gpt-4o-mini")).body()).contains("\"any\"");
    assertThat(upstream.last().bodyString()).contains("\"model\":\"gpt-4o-mini\"");
  }

  @Test
  void enforcedRateLimitsAndParallelLimitsAnswer429WithRemainingHeaders() throws Exception {
    upstream.onPost("/a/v1/chat/completions", rc -> FakeAnswers.ok(rc, "a"));
    upstream.onPost("/slow/v1/chat/completions", rc -> upstream.vertx().setTimer(500, t -> FakeAnswers.ok(rc, "slow")));
    gateway = TestGateway.start("model_list:\n" + deployment("g", "a", "      rpm: 2\n")
        + deployment("s", "slow", "      max_parallel_requests: 1\n")
        + "router_settings:\n  num_retries: 0\n  optional_pre_call_checks: [\"enforce_model_rate_limits\"]\n");
    CalendarMinute.awaitRoomFor(5);

    assertThat(gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "g")).headers()
        .firstValue("x-ratelimit-remaining-requests")).hasValue("1");
    assertThat(gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "g")).headers()
        .firstValue("x-ratelimit-remaining-requests")).hasValue("0");
    HttpResponse<String> third = gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "g"));
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.headers().firstValue("retry-after")).isPresent();
    assertThat(hits("a")).isEqualTo(2);

    var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "s")));
    Thread.sleep(200);
    HttpResponse<String> second = gateway.post("/v1/chat/completions", chat("x").replace("MODEL", "s"));
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(first.get().statusCode()).isEqualTo(200);
  }

  private HttpRequest.Builder request(String path, String json) {
    return HttpRequest.newBuilder(URI.create(gateway.url() + path)).timeout(Duration.ofSeconds(30))
        .header("content-type", "application/json").header("authorization", "Bearer " + TestGateway.MASTER_KEY)
        .POST(HttpRequest.BodyPublishers.ofString(json));
  }
}
