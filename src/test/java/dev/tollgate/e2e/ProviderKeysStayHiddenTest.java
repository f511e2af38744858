package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.GatewayOnFakeOpenAi;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Upstreams echo the key they were sent in their errors (OpenAI: "Incorrect API key provided: ..."); clients never see it. */
class ProviderKeysStayHiddenTest {
  /** Not shaped like a key: only the gateway's list of configured secrets can mask it. */
  static final String PROVIDER_KEY = "plain-upstream-secret-4711";

  @RegisterExtension
  static final GatewayOnFakeOpenAi gw = new GatewayOnFakeOpenAi(apiBase -> """
      litellm_settings: {num_retries: 0}
      model_list:
        - model_name: m
          litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: os.environ/UPSTREAM_KEY}
      """.formatted(apiBase), Map.of("UPSTREAM_KEY", PROVIDER_KEY));

  @Test
  void anUpstreamErrorQuotingTheKeyReachesClientsAndHealthMasked() {
    gw.upstream.fail(401, "Incorrect API key provided: " + PROVIDER_KEY + " (also sent as Bearer " + PROVIDER_KEY + ").");
    for (String stream : new String[] {"false", "true"}) {
      HttpResponse<String> r = gw.gateway.post("/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.body()).contains("Incorrect API key provided").doesNotContain(PROVIDER_KEY);
    }
    HttpResponse<String> health = gw.gateway.get("/health", TestGateway.MASTER_KEY);
    assertThat(health.body()).contains("unhealthy_endpoints").contains("Incorrect API key provided").doesNotContain(PROVIDER_KEY);
  }

  /** A password in api_base ({@code http://user:pass@host}) is a credential too: every output masks it. */
  @Test
  void aPasswordInTheApiBaseReachesNoOutput() {
    gw.upstream.reset();
    String apiBase = gw.upstream.apiBase().replace("http://", "http://svcuser:" + PROVIDER_KEY + "@");
    try (TestGateway gateway = TestGateway.start("""
        litellm_settings: {callbacks: ["prometheus"]}
        general_settings: {proxy_batch_write_at: 0.1}
        model_list:
          - model_name: m
            litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-upstream}
        """.formatted(apiBase))) {
      HttpResponse<String> r = gateway.post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.headers().firstValue("x-litellm-model-api-base")).hasValueSatisfying(v ->
          assertThat(v).contains("svcuser:***@").doesNotContain(PROVIDER_KEY));
      assertThat(gateway.get("/metrics", TestGateway.MASTER_KEY).body()).contains("svcuser:***@").doesNotContain(PROVIDER_KEY);
      assertThat(gateway.get("/health", TestGateway.MASTER_KEY).body()).contains("svcuser:***@").doesNotContain(PROVIDER_KEY);
      long deadline = System.currentTimeMillis() + 10_000;
      String logs = "";
      while (!logs.contains("svcuser") && System.currentTimeMillis() < deadline) {
        logs = gateway.get("/spend/logs", TestGateway.MASTER_KEY).body();
      }
      assertThat(logs).contains("svcuser:***@").doesNotContain(PROVIDER_KEY);
    }
  }

  /** The errors of an upstream that cannot be reached name its host, never the credentials before it. */
  @Test
  void anUnreachableUpstreamIsNamedWithoutItsCredentials() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    try (TestGateway gateway = TestGateway.start("""
        litellm_settings: {num_retries: 0}
        model_list:
          - model_name: m
            litellm_params: {model: openai/gpt-4o, api_base: "http://svcuser:%s@127.0.0.1:%d/v1", api_key: sk-upstream}
        """.formatted(PROVIDER_KEY, closed))) {
      HttpResponse<String> r = gateway.post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertThat(r.statusCode()).isGreaterThanOrEqualTo(500);
      assertThat(r.body()).contains("127.0.0.1:" + closed).doesNotContain(PROVIDER_KEY).doesNotContain("svcuser");
    }
  }
}
