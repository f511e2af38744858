package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.Version;
import dev.tollgate.testing.FakeOpenAi;
import dev.tollgate.testing.GatewayOnFakeOpenAi;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What reaches the upstream: the request as sent (model renamed, defaults merged), the deployment's key and headers. */
class ForwardingTest {
  @RegisterExtension
  static final GatewayOnFakeOpenAi gw = new GatewayOnFakeOpenAi(apiBase -> """
      litellm_settings:
        num_retries: 0
      model_list:
        - model_name: fwd
          litellm_params:
            model: openai/upstream-model-x
            api_base: %s
            api_key: os.environ/UPSTREAM_KEY
            extra_headers:
              x-tenant: blue
              x-trace: "42"
            temperature: 0.25
            max_tokens: 77
        - model_name: groq-env
          litellm_params:
            model: groq/llama-3.1-8b-instant
      environment_variables:
        GROQ_API_BASE: %s
      """.formatted(apiBase, apiBase), Map.of("UPSTREAM_KEY", "sk-from-env", "GROQ_API_KEY", "gsk-from-env"));

  @Test
  void unknownFieldsAreForwardedUntouchedWithTheUpstreamModelAndDefaults() {
    String request = """
        {"model":"fwd","messages":[{"role":"user","content":"hi","name":"ann"}],
         "some_future_param":{"a":[1,2.5,{"b":null}],"c":"\\u00e9t\\u00e9"},
         "reasoning_effort":"low","seed":7,"user":"u-1","prediction":{"type":"content","content":"x"}}""";
    HttpResponse<String> r = gw.gateway.post("/v1/chat/completions", request);
    assertThat(r.statusCode()).isEqualTo(200);

    ObjectNode expected = (ObjectNode) FakeOpenAi.parse(request);
    expected.put("model", "upstream-model-x").put("temperature", 0.25).put("max_tokens", 77);
    assertThat(gw.upstream.lastBody()).isEqualTo(expected);
  }

  @Test
  void theRequestsOwnValuesWinOverDefaults() {
    gw.gateway.post("/v1/chat/completions", """
        {"model":"fwd","messages":[{"role":"user","content":"hi"}],"temperature":0.9}""");
    assertThat(gw.upstream.lastBody().get("temperature").asDouble()).isEqualTo(0.9);
    assertThat(gw.upstream.lastBody().get("max_tokens").asInt()).isEqualTo(77);
  }

  @Test
  void theUpstreamGetsTheDeploymentsKeyAndHeadersNeverTheClientsKey() {
    gw.gateway.post("/v1/chat/completions", "{\"model\":\"fwd\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    var headers = gw.upstream.upstream().last().headers();
    assertThat(headers.get("authorization")).isEqualTo("Bearer sk-from-env");
    assertThat(headers.get("x-tenant")).isEqualTo("blue");
    assertThat(headers.get("x-trace")).isEqualTo("42");
    assertThat(headers.entries().toString()).doesNotContain(TestGateway.MASTER_KEY);
  }

  @Test
  void aPrefixTakesItsKeyAndBaseUrlFromTheEnvironment() {
    HttpResponse<String> r = gw.gateway.post("/v1/chat/completions", "{\"model\":\"groq-env\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(gw.upstream.upstream().last().headers().get("authorization")).isEqualTo("Bearer gsk-from-env");
    assertThat(gw.upstream.lastBody().get("model").asText()).isEqualTo("llama-3.1-8b-instant");
  }

  @Test
  void responseCarriesTheLiteLlmHeaders() {
    HttpResponse<String> r = gw.gateway.post("/v1/chat/completions", "{\"model\":\"fwd\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    var h = r.headers();
    assertThat(UUID.fromString(h.firstValue("x-litellm-call-id").orElseThrow())).isNotNull();
    assertThat(h.firstValue("x-litellm-model-group")).contains("fwd");
    assertThat(h.firstValue("x-litellm-model-id").orElseThrow()).isNotBlank();
    assertThat(h.firstValue("x-litellm-model-api-base")).contains(gw.upstream.apiBase());
    assertThat(h.firstValue("x-litellm-version")).contains(Version.VERSION);
    double total = Double.parseDouble(h.firstValue("x-litellm-response-duration-ms").orElseThrow());
    double overhead = Double.parseDouble(h.firstValue("x-litellm-overhead-duration-ms").orElseThrow());
    assertThat(overhead).isBetween(0.0, total);
    // upstream rate-limit headers are passed on under LiteLLM's prefix
    assertThat(h.firstValue("llm_provider-x-ratelimit-remaining-requests")).contains("9999");
  }

  @Test
  void aRequestsMockResponseAnswersWithoutCallingTheUpstream() {
    int before = gw.upstream.requestCount();
    HttpResponse<String> r = gw.gateway.post("/v1/chat/completions",
        "{\"model\":\"fwd\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"mock_response\":\"canned words\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(FakeOpenAi.parse(r.body()).path("choices").path(0).path("message").path("content").asText()).isEqualTo("canned words");
    assertThat(gw.upstream.requestCount()).isEqualTo(before);
  }

  @Test
  void streamsAndErrorsCarryTheLiteLlmHeadersToo() {
    HttpResponse<String> stream = gw.gateway.post("/v1/chat/completions",
        "{\"model\":\"fwd\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(stream.headers().firstValue("x-litellm-model-group")).contains("fwd");
    assertThat(stream.headers().firstValue("x-litellm-call-id")).isPresent();
    gw.upstream.fail(500, "boom");
    HttpResponse<String> failed = gw.gateway.post("/v1/chat/completions", "{\"model\":\"fwd\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(failed.headers().firstValue("x-litellm-call-id")).isPresent();
    assertThat(failed.headers().firstValue("x-litellm-model-id")).isPresent();
  }

  @Test
  void azureStyleDeploymentPathsNameTheModel() {
    for (String path : new String[] {"/openai/deployments/fwd/chat/completions?api-version=2024-10-21", "/engines/fwd/chat/completions"}) {
      HttpResponse<String> r = TestGateway.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + path))
          .header("api-key", TestGateway.MASTER_KEY).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build());
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      JsonNode body = FakeOpenAi.parse(r.body());
      assertThat(body.path("choices").get(0).path("message").path("content").asText()).isEqualTo(FakeOpenAi.DEFAULT_ANSWER);
      assertThat(gw.upstream.lastBody().get("model").asText()).isEqualTo("upstream-model-x");
      assertThat(gw.upstream.upstream().last().query()).as("the client's api-version is not the upstream's business").isNull();
    }
  }
}
