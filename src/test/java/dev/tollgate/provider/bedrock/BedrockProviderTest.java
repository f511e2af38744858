package dev.tollgate.provider.bedrock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeBedrock;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.SigV4Verifier;
import dev.tollgate.testing.TestGateway;
import dev.tollgate.testing.TranslatedProviderContract;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Bedrock Converse through the contract, SigV4-signed with keys from the AWS_* environment variables. */
class BedrockProviderTest extends TranslatedProviderContract {
  private static final String KEY_ID = "AKIDEXAMPLE";
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

  @Override
  protected void installFake(FakeUpstream up) {
    FakeBedrock.install(up, new SigV4Verifier(Map.of(KEY_ID, SECRET, "AKIDTEMP", "temp-secret"), "bedrock"), "bedrock-api-key");
  }

  @Override
  protected Map<String, String> env() {
    return Map.of("AWS_ACCESS_KEY_ID", KEY_ID, "AWS_SECRET_ACCESS_KEY", SECRET, "AWS_REGION", "eu-west-1");
  }

  @Override
  protected String litellmParams(String upstreamModel, String upstreamUrl) {
    return "      model: bedrock/" + upstreamModel + "\n      aws_bedrock_runtime_endpoint: " + upstreamUrl;
  }

  @Override
  protected Set<Feature> features() {
    return EnumSet.of(Feature.TOOLS, Feature.CACHED_TOKENS);
  }

  @Override
  protected void assertNativeChatRequest(FakeUpstream.Recorded r) throws Exception {
    assertThat(r.path()).isEqualTo("/model/fake-model/converse");
    assertThat(r.headers().get("authorization")).contains("/eu-west-1/bedrock/aws4_request");
    JsonNode body = JSON.readTree(r.bodyString());
    assertThat(body.path("system").path(0).path("text").asText()).isEqualTo("Be brief.");
    assertThat(body.path("messages").path(0).path("content").path(0).path("text").asText()).isEqualTo("Tollgate");
    assertThat(body.path("inferenceConfig").path("maxTokens").asInt()).isEqualTo(50);
    assertThat(body.path("inferenceConfig").path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.path("inferenceConfig").path("stopSequences").path(0).asText()).isEqualTo("END");
  }

  @Override
  protected void assertNativeToolResults(FakeUpstream.Recorded r) throws Exception {
    JsonNode messages = JSON.readTree(r.bodyString()).path("messages");
    assertThat(messages.path(1).path("content").path(0).path("toolUse").path("toolUseId").asText()).isEqualTo("call_paris");
    JsonNode results = messages.path(2).path("content");
    assertThat(results).hasSize(2);
    assertThat(results.path(1).path("toolResult").path("toolUseId").asText()).isEqualTo("call_tokyo");
    assertThat(results.path(1).path("toolResult").path("content").path(0).path("json").path("temp").asText()).isEqualTo("Tokyo-21C");
  }

  private static String yaml(String params) {
    return "model_list:\n  - model_name: m\n    litellm_params:\n" + params + "\n";
  }

  @Test
  void modelIdsWithColonsAreEncodedAndSignedWithSessionTokens() {
    try (TestGateway gw = TestGateway.start(yaml("      model: bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0\n      api_base: " + upstream.url()
        + "\n      aws_access_key_id: AKIDTEMP\n      aws_secret_access_key: temp-secret\n      aws_session_token: session-tok\n      aws_region_name: us-west-2"))) {
      HttpResponse<String> r = gw.post("/v1/chat/completions", chat("m", false));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(upstream.last().path()).isEqualTo("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
      assertThat(upstream.last().headers().get("x-amz-security-token")).isEqualTo("session-tok");
    }
  }

  @Test
  void wronglySignedRequestIsRejectedAsAuthError() throws Exception {
    try (TestGateway gw = TestGateway.start(yaml("      model: bedrock/fake-model\n      api_base: " + upstream.url()
        + "\n      aws_access_key_id: " + KEY_ID + "\n      aws_secret_access_key: not-the-secret"))) {
      HttpResponse<String> r = gw.post("/v1/chat/completions", chat("m", false));
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(JSON.readTree(r.body()).path("error").path("message").asText()).contains("signature");
      assertThat(r.body()).doesNotContain("not-the-secret");
    }
  }

  /** Converse has no "none" tool choice and wants a toolConfig wherever tool blocks are: the conversation goes on. */
  @Test
  void toolChoiceNoneAfterToolCallsIsAnswered() throws Exception {
    try (TestGateway gw = TestGateway.start(yaml("      model: bedrock/fake-model\n      api_base: " + upstream.url()
        + "\n      aws_access_key_id: " + KEY_ID + "\n      aws_secret_access_key: " + SECRET))) {
      String messages = """
          "messages":[{"role":"user","content":"Weather in Paris?"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"call_1","content":"Paris-18C"}]}""";
      String none = "{\"model\":\"m\",\"tool_choice\":\"none\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\"}}],";
      for (String body : List.of(none + messages, "{\"model\":\"m\"," + messages)) {
        HttpResponse<String> r = gw.post("/v1/chat/completions", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode sent = JSON.readTree(upstream.last().bodyString()).path("toolConfig").path("tools");
        assertThat(sent).hasSize(1);
        assertThat(sent.path(0).path("toolSpec").path("name").asText()).as("none of the client's tools may be called").isEqualTo("dummy_tool");
      }
    }
  }

  @Test
  void aCorruptEventStreamEndsTheClientsStreamWithOneError() {
    try (TestGateway gw = TestGateway.start(yaml("      model: bedrock/corrupt-model\n      api_base: " + upstream.url()
        + "\n      aws_access_key_id: " + KEY_ID + "\n      aws_secret_access_key: " + SECRET))) {
      HttpResponse<String> r = gw.post("/v1/chat/completions", chat("m", true));
      assertThat(r.body()).contains("broken event stream");
      assertThat(r.body().split("\"error\"", -1)).as(r.body()).hasSize(2);
    }
  }

  @Test
  void bearerApiKeyFromTheEnvironment() {
    try (TestGateway gw = TestGateway.start(yaml("      model: bedrock/fake-model\n      api_base: " + upstream.url()),
        Map.of("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key"))) {
      HttpResponse<String> r = gw.post("/v1/chat/completions", chat("m", true));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("Hel").endsWith("data: [DONE]\n\n");
      assertThat(upstream.last().headers().get("authorization")).isEqualTo("Bearer bedrock-api-key");
      assertThat(upstream.last().path()).endsWith("/converse-stream");
    }
  }
}
