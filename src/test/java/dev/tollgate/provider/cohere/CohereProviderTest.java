package dev.tollgate.provider.cohere;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeCohere;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TranslatedProviderContract;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

class CohereProviderTest extends TranslatedProviderContract {
  @Override
  protected void installFake(FakeUpstream up) {
    FakeCohere.install(up);
  }

  @Override
  protected Map<String, String> env() {
    return Map.of("COHERE_API_KEY", "co-key");
  }

  @Override
  protected String litellmParams(String upstreamModel, String upstreamUrl) {
    return "      model: cohere_chat/" + upstreamModel + "\n      api_base: " + upstreamUrl;
  }

  @Override
  protected Set<Feature> features() {
    return EnumSet.of(Feature.TOOLS, Feature.EMBEDDINGS);
  }

  @Override
  protected void assertNativeChatRequest(FakeUpstream.Recorded r) throws Exception {
    assertThat(r.path()).isEqualTo("/v2/chat");
    assertThat(r.headers().get("authorization")).isEqualTo("Bearer co-key");
    JsonNode body = JSON.readTree(r.bodyString());
    assertThat(body.path("messages").path(0).path("role").asText()).isEqualTo("system");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(50);
    assertThat(body.path("stop_sequences").path(0).asText()).isEqualTo("END");
    assertThat(body.has("max_completion_tokens")).isFalse();
  }

  @Override
  protected void assertNativeToolResults(FakeUpstream.Recorded r) throws Exception {
    JsonNode messages = JSON.readTree(r.bodyString()).path("messages");
    assertThat(messages.path(1).path("tool_calls").path(0).path("id").asText()).isEqualTo("call_paris");
    assertThat(messages.path(3).path("role").asText()).isEqualTo("tool");
    assertThat(messages.path(3).path("tool_call_id").asText()).isEqualTo("call_tokyo");
  }
}
