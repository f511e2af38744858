package dev.tollgate.passthrough;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.provider.EventStreamParser;
import dev.tollgate.testing.FakeBedrock;
import dev.tollgate.testing.FakeGemini;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.SigV4Verifier;
import dev.tollgate.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Native provider requests forwarded with the config's credentials; the client's gateway key never leaves. */
class PassThroughRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(PassThroughRoutesTest::providers, u -> """
      model_list:
        - model_name: g
          litellm_params: {model: gemini/fake-model, api_base: %s/v1beta, api_key: gemini-provider-key}
        - model_name: b
          litellm_params: {model: bedrock/fake-model, api_base: %s, aws_access_key_id: AKIDPASS, aws_secret_access_key: pass-secret, aws_region_name: us-east-2}
        - model_name: v
          litellm_params: {model: vertex_ai/fake-model, api_base: %s, vertex_project: p1, api_key: ya29.static}
        - model_name: m
          litellm_params: {model: openai/gpt-4o, mock_response: mocked}
        - model_name: o
          litellm_params: {model: openai/gpt-4o, api_base: %s/v1, api_key: openai-provider-key}
      """.formatted(u, u, u, u),
      u -> Map.of("ANTHROPIC_API_BASE", u, "ANTHROPIC_API_KEY", "anthropic-provider-key", "AZURE_API_BASE", u, "AZURE_API_KEY", "azure-provider-key"));

  private static void providers(FakeUpstream upstream) {
    FakeGemini.install(upstream, "/v1beta");
    FakeGemini.install(upstream, "/v1/projects/p1/locations/us-central1/publishers/google");
    FakeBedrock.install(upstream, new SigV4Verifier(Map.of("AKIDPASS", "pass-secret"), "bedrock"), "unused");
    upstream.onPost("/v1/chat/completions", rc -> rc.response().putHeader("content-type", "application/json")
        .end("{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[]}"));
    upstream.onPost("/v1/messages", rc -> rc.response().putHeader("content-type", "application/json").end("{\"type\":\"message\"}"));
    upstream.onPost("/openai/deployments/gpt/chat/completions", rc -> rc.response().end("{\"azure\":true}"));
  }

  private static HttpResponse<String> post(String path, String body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.gateway.url() + path)).timeout(Duration.ofSeconds(20))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return TestGateway.send(b.build());
  }

  private static final String GEMINI_ASK = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"native\"}]}]}";

  private static void assertNoGatewayKeyForwarded(FakeUpstream.Recorded r) {
    r.headers().forEach((k, v) -> assertThat(v).as(k).doesNotContain(TestGateway.MASTER_KEY));
    assertThat(String.valueOf(r.query())).doesNotContain(TestGateway.MASTER_KEY);
  }

  @Test
  void geminiWithKeyInQuery() throws Exception {
    HttpResponse<String> r = post("/gemini/v1beta/models/fake-model:generateContent?key=" + TestGateway.MASTER_KEY, GEMINI_ASK, Map.of());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).path("candidates").path(0).path("content").path("parts").toString()).contains("Hello, native");
    FakeUpstream.Recorded seen = gw.upstream.last();
    assertThat(seen.path()).isEqualTo("/v1beta/models/fake-model:generateContent");
    assertThat(seen.headers().get("x-goog-api-key")).isEqualTo("gemini-provider-key");
    assertNoGatewayKeyForwarded(seen);
  }

  @Test
  void geminiStreamIsRelayedAsIs() {
    HttpResponse<String> r = post("/gemini/v1beta/models/fake-model:streamGenerateContent?alt=sse", GEMINI_ASK,
        Map.of("x-goog-api-key", TestGateway.MASTER_KEY));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).contains("text/event-stream");
    assertThat(r.body().split("\r\n\r\n")).hasSize(3);
    assertThat(gw.upstream.last().query()).isEqualTo("alt=sse");
  }

  @Test
  void bedrockIsResignedAndItsEventStreamRelayedByteForByte() {
    String ask = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"native\"}]}]}";
    HttpResponse<String> r = post("/bedrock/model/fake-model/converse", ask, Map.of("authorization", "Bearer " + TestGateway.MASTER_KEY));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("Hello, native");
    assertThat(gw.upstream.last().headers().get("authorization")).startsWith("AWS4-HMAC-SHA256 Credential=AKIDPASS/");

    HttpRequest stream = HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/bedrock/model/fake-model/converse-stream"))
        .header("authorization", "Bearer " + TestGateway.MASTER_KEY).POST(HttpRequest.BodyPublishers.ofString(ask)).build();
    HttpResponse<byte[]> bytes;
    try {
      bytes = java.net.http.HttpClient.newHttpClient().send(stream, HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    List<String> events = new ArrayList<>();
    new EventStreamParser(m -> events.add(m.header(":event-type"))).feed(Buffer.buffer(bytes.body()));
    assertThat(events).startsWith("messageStart").endsWith("messageStop", "metadata");
  }

  @Test
  void vertexOpenAiAnthropicAndAzureGetTheirOwnCredentials() throws Exception {
    Map<String, String> auth = Map.of("authorization", "Bearer " + TestGateway.MASTER_KEY);
    assertThat(post("/vertex_ai/v1/projects/p1/locations/us-central1/publishers/google/models/fake-model:generateContent", GEMINI_ASK, auth)
        .statusCode()).isEqualTo(200);
    assertThat(gw.upstream.last().headers().get("authorization")).isEqualTo("Bearer ya29.static");

    assertThat(post("/openai/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[]}", auth).statusCode()).isEqualTo(200);
    assertThat(gw.upstream.last().headers().get("authorization")).isEqualTo("Bearer openai-provider-key");

    assertThat(post("/anthropic/v1/messages", "{}", Map.of("x-api-key", TestGateway.MASTER_KEY, "anthropic-beta", "tools-2024"))
        .statusCode()).isEqualTo(200);
    FakeUpstream.Recorded anthropic = gw.upstream.last();
    assertThat(anthropic.headers().get("x-api-key")).isEqualTo("anthropic-provider-key");
    assertThat(anthropic.headers().get("anthropic-beta")).isEqualTo("tools-2024");
    assertThat(anthropic.headers().get("anthropic-version")).isEqualTo("2023-06-01");

    assertThat(post("/azure/openai/deployments/gpt/chat/completions?api-version=2024-10-21", "{}", Map.of("api-key", TestGateway.MASTER_KEY))
        .body()).isEqualTo("{\"azure\":true}");
    assertThat(gw.upstream.last().headers().get("api-key")).isEqualTo("azure-provider-key");
    assertThat(gw.upstream.last().query()).isEqualTo("api-version=2024-10-21");
    assertNoGatewayKeyForwarded(gw.upstream.last());
  }

  @Test
  void azureStyleOpenAiRouteIsStillTheGatewaysOwn() throws Exception {
    int before = gw.upstream.received().size();
    HttpResponse<String> r = gw.gateway.post("/openai/deployments/m/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).path("choices").path(0).path("message").path("content").asText()).isEqualTo("mocked");
    assertThat(gw.upstream.received()).hasSize(before);
  }

  @Test
  void withoutAGatewayKeyNothingIsForwarded() throws Exception {
    int before = gw.upstream.received().size();
    HttpResponse<String> r = post("/gemini/v1beta/models/fake-model:generateContent", GEMINI_ASK, Map.of());
    assertThat(r.statusCode()).isEqualTo(401);
    JsonNode err = JSON.readTree(r.body()).path("error");
    assertThat(err.path("message").asText()).isNotBlank();
    assertThat(gw.upstream.received()).hasSize(before);
  }

  /** A pass-through call is neither checked nor metered: only a key with nothing to enforce may make one. */
  @Test
  void keysWithModelBudgetOrRateLimitsMayNotPassThrough() throws Exception {
    String ask = "{\"model\":\"claude-opus-4-1\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    for (String limits : List.of("{\"models\":[\"g\"]}", "{\"max_budget\":1.0}", "{\"rpm_limit\":100}")) {
      String key = generateKey(limits);
      int before = gw.upstream.received().size();
      HttpResponse<String> r = post("/anthropic/v1/messages", ask, Map.of("x-api-key", key));
      assertThat(r.statusCode()).as(limits + ": " + r.body()).isEqualTo(403);
      assertThat(JSON.readTree(r.body()).path("error").path("message").asText()).contains("pass-through");
      assertThat(gw.upstream.received()).as(limits).hasSize(before);
    }
    String unlimited = generateKey("{\"models\":[\"all-proxy-models\"]}");
    assertThat(post("/anthropic/v1/messages", ask, Map.of("x-api-key", unlimited)).statusCode()).isEqualTo(200);
    assertThat(gw.upstream.last().headers().get("x-api-key")).isEqualTo("anthropic-provider-key");
  }

  private static String generateKey(String body) throws Exception {
    HttpResponse<String> r = gw.gateway.post("/key/generate", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("key").asText();
  }
}
