package dev.tollgate.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local response cache end to end: hits, streams from cache, per-request controls, mode, ping. */
class ResponseCacheTest {
  private FakeUpstream upstream;
  private TestGateway gateway;
  private final AtomicInteger answers = new AtomicInteger();

  @BeforeEach
  void start() {
    upstream = FakeUpstream.start();
    upstream.onPost("/v1/chat/completions", rc -> {
      int n = answers.incrementAndGet();
      if (rc.body().asJsonObject().getBoolean("stream", false)) {
        var response = rc.response().setChunked(true).putHeader("content-type", "text/event-stream");
        response.write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"stre\"},\"finish_reason\":null}]}\n\n");
        response.write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"amed " + n + "\"},\"finish_reason\":\"stop\"}]}\n\n");
        if (rc.body().asJsonObject().getJsonObject("stream_options", new io.vertx.core.json.JsonObject()).getBoolean("include_usage", false)) {
          response.write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],"
              + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n");
        }
        response.end("data: [DONE]\n\n");
        return;
      }
      rc.response().putHeader("content-type", "application/json").end("{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,"
          + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"answer " + n
          + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}");
    });
  }

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    upstream.close();
  }

  private void startGateway(String cacheParams) {
    gateway = TestGateway.start("model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/m\n      api_key: sk-x\n"
        + "      api_base: " + upstream.url() + "/v1\ngeneral_settings:\n  proxy_batch_write_at: 0.1\nlitellm_settings:\n  cache: true\n  cache_params:\n    type: local\n" + cacheParams);
  }

  private HttpResponse<String> ask(String prompt, String extra) {
    return gateway.post("/v1/chat/completions", "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]" + extra + "}");
  }

  @Test
  void aRepeatedRequestIsAnsweredFromTheCacheAlsoAsAStream() throws Exception {
    startGateway("");
    HttpResponse<String> first = ask("hello", "");
    HttpResponse<String> second = ask("hello", "");
    assertThat(second.body()).contains("answer 1");
    assertThat(second.headers().firstValue("x-litellm-cache-key")).isPresent();
    assertThat(first.headers().firstValue("x-litellm-cache-key")).isEmpty();
    assertThat(answers).hasValue(1);

    HttpResponse<String> streamed = ask("hello", ",\"stream\":true");
    assertThat(streamed.headers().firstValue("content-type")).hasValue("text/event-stream");
    assertThat(streamed.body()).contains("\"delta\":{\"role\":\"assistant\",\"content\":\"answer 1\"}").endsWith("data: [DONE]\n\n");
    assertThat(answers).hasValue(1);

    assertThat(ask("other", "").body()).contains("answer 2");
    assertThat(ask("hello", ",\"temperature\":0.5").body()).contains("answer 3");

    long deadline = System.currentTimeMillis() + 10_000;
    JsonNode logs = null;
    while ((logs == null || logs.size() < 5) && System.currentTimeMillis() < deadline) {
      logs = new ObjectMapper().readTree(gateway.get("/spend/logs").body());
    }
    List<String> hits = new ArrayList<>();
    logs.forEach(row -> hits.add(row.path("cache_hit").asText()));
    assertThat(hits).as("the spend log says which calls the cache answered").containsExactlyInAnyOrder("false", "true", "true", "false", "false");
  }

  @Test
  void aStreamedAnswerIsCachedWhole() throws Exception {
    startGateway("");
    assertThat(ask("s", ",\"stream\":true").body()).contains("amed 1");
    Thread.sleep(50);
    HttpResponse<String> whole = ask("s", "");
    assertThat(whole.body()).contains("\"content\":\"streamed 1\"").contains("\"object\":\"chat.completion\"");
    assertThat(answers).hasValue(1);
    // the first client did not ask for usage; the gateway did, and the cached answer keeps it
    assertThat(whole.body()).contains("\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5");
    assertThat(ask("s", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}").body()).contains("\"total_tokens\":5");
  }

  @Test
  void perRequestControlsAndNamespaces() throws Exception {
    startGateway("");
    ask("p", "");
    assertThat(ask("p", ",\"cache\":{\"no-cache\":true}").body()).contains("answer 2");
    assertThat(ask("p", "").body()).contains("answer 2"); // no-cache still stores the fresh answer
    assertThat(ask("q", ",\"cache\":{\"no-store\":true}").body()).contains("answer 3");
    assertThat(ask("q", "").body()).contains("answer 4");
    assertThat(ask("p", ",\"cache\":{\"namespace\":\"team-a\"}").body()).contains("answer 5");
    HttpResponse<String> namespaced = ask("p", ",\"cache\":{\"namespace\":\"team-a\"}");
    assertThat(namespaced.headers().firstValue("x-litellm-cache-key").orElseThrow()).startsWith("team-a:");

    ask("t", ",\"cache\":{\"ttl\":0.2}");
    Thread.sleep(400);
    assertThat(ask("t", "").body()).contains("answer 7");
    Thread.sleep(300);
    assertThat(ask("t", ",\"cache\":{\"s-maxage\":0.1}").body()).contains("answer 8");
  }

  @Test
  void defaultOffCachesOnlyWhenAskedAndPingAnswers() {
    startGateway("    mode: default_off\n");
    ask("d", "");
    assertThat(ask("d", "").body()).contains("answer 2");
    ask("d", ",\"cache\":{\"use-cache\":true}");
    assertThat(ask("d", ",\"cache\":{\"use-cache\":true}").body()).contains("answer 3");
    assertThat(gateway.get("/cache/ping").body()).contains("\"status\":\"healthy\"").contains("\"cache_type\":\"local\"");
  }

  @Test
  void pingWithoutACacheSays503() {
    gateway = TestGateway.start("model_list: []\n");
    assertThat(gateway.get("/cache/ping").statusCode()).isEqualTo(503);
  }
}
