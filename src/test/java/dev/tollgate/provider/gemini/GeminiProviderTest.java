package dev.tollgate.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeGemini;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TranslatedProviderContract;

class GeminiProviderTest extends TranslatedProviderContract {
  @Override
  protected void installFake(FakeUpstream up) {
    FakeGemini.install(up, "/v1beta");
  }

  @Override
  protected String litellmParams(String upstreamModel, String upstreamUrl) {
    return "      model: gemini/" + upstreamModel + "\n      api_base: " + upstreamUrl + "/v1beta\n      api_key: gm-key";
  }

  @Override
  protected void assertNativeChatRequest(FakeUpstream.Recorded r) throws Exception {
    assertThat(r.path()).isEqualTo("/v1beta/models/fake-model:generateContent");
    assertThat(r.headers().get("x-goog-api-key")).isEqualTo("gm-key");
    JsonNode body = JSON.readTree(r.bodyString());
    assertThat(body.path("systemInstruction").path("parts").path(0).path("text").asText()).isEqualTo("Be brief.");
    assertThat(body.path("contents").path(0).path("role").asText()).isEqualTo("user");
    assertThat(body.path("generationConfig").path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.path("generationConfig").path("maxOutputTokens").asInt()).isEqualTo(50);
    assertThat(body.path("generationConfig").path("stopSequences").path(0).asText()).isEqualTo("END");
  }

  @Override
  protected void assertNativeToolResults(FakeUpstream.Recorded r) throws Exception {
    JsonNode contents = JSON.readTree(r.bodyString()).path("contents");
    assertThat(contents.path(1).path("role").asText()).isEqualTo("model");
    assertThat(contents.path(1).path("parts").path(0).path("functionCall").path("name").asText()).isEqualTo("get_weather");
    JsonNode results = contents.path(2).path("parts");
    assertThat(results).hasSize(2);
    assertThat(results.path(0).path("functionResponse").path("name").asText()).isEqualTo("get_weather");
    assertThat(results.path(1).path("functionResponse").path("response").path("temp").asText()).isEqualTo("Tokyo-21C");
  }
}
