package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeOpenAi;
import dev.tollgate.testing.TestGateway;
import dev.tollgate.testing.TollgateProcess;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Liveness and readiness for orchestrators; {@code /health} calls every deployment for operators. */
class HealthTest {

  @Test
  void livenessReadinessAndDeploymentHealth() throws Exception {
    int closedPort = TollgateProcess.freePort();
    try (FakeOpenAi upstream = FakeOpenAi.start();
        TestGateway g = TestGateway.start("""
            model_list:
              - model_name: up
                litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-up}
              - model_name: down
                litellm_params: {model: openai/gpt-4o, api_base: "http://127.0.0.1:%d/v1", api_key: sk-down}
              - model_name: emb
                litellm_params: {model: openai/text-embedding-3-small, api_base: "%s", api_key: sk-up}
                model_info: {mode: embedding}
            """.formatted(upstream.apiBase(), closedPort, upstream.apiBase()))) {
      for (String path : new String[] {"/health/liveliness", "/health/liveness"}) {
        HttpResponse<String> alive = g.get(path, null);
        assertThat(alive.statusCode()).isEqualTo(200);
        assertThat(alive.body()).isEqualTo("\"I'm alive!\"");
      }
      HttpResponse<String> ready = g.get("/health/readiness", null);
      assertThat(ready.statusCode()).isEqualTo(200);
      JsonNode readiness = FakeOpenAi.parse(ready.body());
      assertThat(readiness.get("status").asText()).isEqualTo("healthy");
      assertThat(readiness.has("db") && readiness.has("cache") && readiness.has("litellm_version")).as(ready.body()).isTrue();
      assertThat(readiness.get("cache").isNull()).as(ready.body()).isTrue();
      assertThat(readiness.get("success_callbacks")).as(ready.body()).isEmpty();

      assertThat(g.get("/health", null).statusCode()).isEqualTo(401);
      HttpResponse<String> health = g.get("/health");
      assertThat(health.statusCode()).isEqualTo(200);
      JsonNode body = FakeOpenAi.parse(health.body());
      assertThat(body.get("healthy_count").asInt()).as(health.body()).isEqualTo(2);
      assertThat(body.get("unhealthy_count").asInt()).isEqualTo(1);
      assertThat(body.get("unhealthy_endpoints").get(0).get("model_name").asText()).isEqualTo("down");
      assertThat(body.get("unhealthy_endpoints").get(0).get("error").asText()).contains("127.0.0.1:" + closedPort);
      assertThat(health.body()).doesNotContain("sk-up", "sk-down");
      assertThat(upstream.upstream().received()).extracting(r -> r.path())
          .containsExactlyInAnyOrder("/v1/chat/completions", "/v1/embeddings");
    }
  }

  @Test
  void readinessNamesTheCacheAndTheCallbacksThatRun() {
    try (TestGateway g = TestGateway.start("""
        model_list:
          - model_name: demo
            litellm_params: {model: openai/demo, mock_response: "hi"}
        litellm_settings:
          cache: true
          callbacks: ["prometheus", "langfuse"]
        """)) {
      JsonNode readiness = FakeOpenAi.parse(g.get("/health/readiness", null).body());
      assertThat(readiness.get("cache").asText()).isEqualTo("local");
      assertThat(readiness.get("success_callbacks").toString()).isEqualTo("[\"prometheus\"]");
    }
  }
}
