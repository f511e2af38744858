package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeOpenAi;
import dev.tollgate.testing.GatewayOnFakeOpenAi;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests a client gets wrong and upstreams that fail: always an OpenAI-shaped error with the right status, never a hang. */
class EdgeCaseTest {
  static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @RegisterExtension
  static final GatewayOnFakeOpenAi gw = new GatewayOnFakeOpenAi(apiBase -> config(apiBase, ""));

  static String config(String apiBase, String more) {
    // no retries (the default of a LiteLLM router is 2): these tests are about single answers
    return """
        litellm_settings: {num_retries: 0}
        model_list:
          - model_name: m
            litellm_params:
              model: openai/gpt-4o
              api_base: %s
              api_key: sk-up
              timeout: 2
        """.formatted(apiBase) + more;
  }

  /** The OpenAI error object of a response, after checking its shape. */
  static JsonNode error(HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode err = FakeOpenAi.parse(r.body()).get("error");
    assertThat(err).as(r.body()).isNotNull();
    assertThat(err.has("message") && err.has("type") && err.has("param") && err.has("code")).as(r.body()).isTrue();
    assertThat(r.body()).doesNotContain("\tat ", "Exception");
    return err;
  }

  @Test
  void malformedJsonNamesLineAndColumn() {
    JsonNode err = error(gw.gateway.post("/v1/chat/completions", "{\"model\": \"m\",\n \"messages\": [}"), 400);
    assertThat(err.get("message").asText()).contains("line 2, column");
    assertThat(err.get("type").asText()).isEqualTo("invalid_request_error");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1,2]", "\"text\"", "42", ""})
  void bodyMustBeAJsonObject(String body) {
    error(gw.gateway.post("/v1/chat/completions", body), 400);
  }

  @Test
  void missingModelAndMessagesAreNamed() {
    int before = gw.upstream.requestCount();
    JsonNode noModel = error(gw.gateway.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400);
    assertThat(noModel.get("param").asText()).isEqualTo("model");
    assertThat(noModel.get("message").asText()).contains("m");
    JsonNode noMessages = error(gw.gateway.post("/v1/chat/completions", "{\"model\":\"m\"}"), 400);
    assertThat(noMessages.get("param").asText()).isEqualTo("messages");
    error(gw.gateway.post("/v1/embeddings", "{\"model\":\"m\"}"), 400);
    error(gw.gateway.post("/v1/completions", "{\"model\":\"m\"}"), 400);
    assertThat(gw.upstream.requestCount()).isEqualTo(before);
  }

  @Test
  void bodyOverMaxRequestSizeIs413() {
    try (TestGateway small = TestGateway.start(config(gw.upstream.apiBase(), """
        general_settings:
          max_request_size_mb: 0.01
        """))) {
      String big = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(20_000) + "\"}]}";
      JsonNode err = error(small.post("/v1/chat/completions", big), 413);
      assertThat(err.get("message").asText()).contains("max_request_size_mb");
      assertThat(small.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void withoutMasterKeyEveryCallIsRefusedWithTheReason() {
    try (TestGateway open = TestGateway.start(config(gw.upstream.apiBase(), ""), Map.of("LITELLM_MASTER_KEY", ""))) {
      JsonNode err = error(open.post("/v1/chat/completions", CHAT, null), 401);
      assertThat(err.get("message").asText()).contains("no master key").contains("LITELLM_MASTER_KEY")
          .contains("allow_unauthenticated");
      error(open.get("/v1/models", "sk-anything"), 401);
      // liveness and readiness stay public
      assertThat(open.get("/health/readiness", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void allowUnauthenticatedOptsOut() {
    try (TestGateway open = TestGateway.start(config(gw.upstream.apiBase(), """
        general_settings:
          allow_unauthenticated: true
        """), Map.of("LITELLM_MASTER_KEY", ""))) {
      assertThat(open.post("/v1/chat/completions", CHAT, null).statusCode()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"x-api-key", "api-key", "x-litellm-api-key"})
  void keyInOtherHeaders(String header) {
    assertThat(postWithHeader(header, TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
    assertThat(error(postWithHeader(header, "sk-wrong"), 401).get("type").asText()).isEqualTo("authentication_error");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Bearer ", "bearer "})
  void xLitellmApiKeyMayCarryABearerPrefixAsInLiteLlm(String prefix) {
    assertThat(postWithHeader("x-litellm-api-key", prefix + TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
    error(postWithHeader("x-litellm-api-key", prefix + "sk-wrong"), 401);
  }

  static HttpResponse<String> postWithHeader(String header, String value) {
    return TestGateway.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
        .header(header, value).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build());
  }

  @Test
  void unknownRoutesAre404() {
    error(gw.gateway.get("/v1/nope"), 404);
    error(gw.gateway.post("/v2/chat/completions", CHAT), 404);
  }

  @Test
  void upstreamTimeoutIs408AndTheUpstreamRequestIsAbandoned() throws Exception {
    gw.upstream.hang();
    int aborted = gw.upstream.abortedRequests();
    JsonNode err = error(gw.gateway.post("/v1/chat/completions", CHAT), 408);
    assertThat(err.get("message").asText()).contains("timed out");
    assertThat(gw.upstream.awaitAborted(aborted + 1, Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void unreachableUpstreamIs502() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (TestGateway g = TestGateway.start(config("http://127.0.0.1:" + closedPort + "/v1", ""))) {
      JsonNode err = error(g.post("/v1/chat/completions", CHAT), 502);
      assertThat(err.get("type").asText()).isEqualTo("api_connection_error");
      assertThat(err.get("message").asText()).contains("127.0.0.1:" + closedPort);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"text/html|<html><body>Welcome</body></html>", "application/json|{\"id\":\"chatcmpl-1\",\"choi"})
  void anApiBaseThatAnswersWithAWebPageOrACutBodyIs502(String contentTypeAndBody) {
    String[] answer = contentTypeAndBody.split("\\|", 2);
    try (FakeUpstream web = FakeUpstream.start()
        .onPost("/chat/completions", rc -> rc.response().putHeader("content-type", answer[0]).end(answer[1]));
        TestGateway g = TestGateway.start(config(web.url(), ""))) {
      JsonNode err = error(g.post("/v1/chat/completions", CHAT), 502);
      assertThat(err.get("message").asText()).contains("not a JSON object").contains(web.url()).contains(answer[1]);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"text/html|<html><body>Please log in</body></html>",
      "application/json|{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[]}"})
  void anApiBaseThatAnswersAStreamingRequestWithoutAnEventStreamIs502(String contentTypeAndBody) {
    String[] answer = contentTypeAndBody.split("\\|", 2);
    try (FakeUpstream web = FakeUpstream.start()
        .onPost("/chat/completions", rc -> rc.response().putHeader("content-type", answer[0]).end(answer[1]));
        TestGateway g = TestGateway.start(config(web.url(), ""))) {
      JsonNode err = error(g.post("/v1/chat/completions", CHAT.replace("{", "{\"stream\":true,")), 502);
      assertThat(err.get("message").asText()).contains("not an event stream").contains(web.url()).contains(answer[1]);
    }
  }

  @Test
  void retriesWorkWhenTheGroupListsTheSameDeploymentTwice() {
    gw.upstream.fail(503, "overloaded");
    try (TestGateway g = TestGateway.start("""
        model_list:
          - model_name: m
            litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-a}
          - model_name: m
            litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-a}
        litellm_settings:
          num_retries: 2
        """.formatted(gw.upstream.apiBase(), gw.upstream.apiBase()))) {
      int before = gw.upstream.requestCount();
      JsonNode err = error(g.post("/v1/chat/completions", CHAT), 503);
      assertThat(err.get("message").asText()).contains("overloaded");
      assertThat(gw.upstream.requestCount() - before).isEqualTo(3);
    }
  }

  @Test
  void numRetriesGoesToTheOtherDeployment() {
    try (FakeOpenAi healthy = FakeOpenAi.start()) {
      gw.upstream.fail(500, "The server had an error while processing your request.");
      // the failing deployment weighs all: it is always tried first, the retry must avoid it
      try (TestGateway g = TestGateway.start("""
          model_list:
            - model_name: m
              litellm_params: {model: openai/gpt-4o, api_base: %s, api_key: sk-a, weight: 1}
            - model_name: m
              litellm_params: {model: openai/gpt-4o, api_base: %s, api_key: sk-b, weight: 0}
          litellm_settings:
            num_retries: 1
          """.formatted(gw.upstream.apiBase(), healthy.apiBase()))) {
        int failedBefore = gw.upstream.requestCount();
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> r = g.post("/v1/chat/completions", CHAT);
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          assertThat(r.headers().firstValue("x-litellm-attempted-retries")).contains("1");
          assertThat(r.headers().firstValue("x-litellm-model-api-base")).contains(healthy.apiBase());
        }
        assertThat(gw.upstream.requestCount() - failedBefore).isEqualTo(3);
        assertThat(healthy.requestCount()).isEqualTo(3);
      }
    }
  }
}
