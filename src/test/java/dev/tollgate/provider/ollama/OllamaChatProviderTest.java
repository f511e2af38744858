package dev.tollgate.provider.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeOllama;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TranslatedProviderContract;
import java.util.EnumSet;
import java.util.Set;

class OllamaChatProviderTest extends TranslatedProviderContract {
  @Override
  protected void installFake(FakeUpstream up) {
    FakeOllama.install(up);
  }

  @Override
  protected String litellmParams(String upstreamModel, String upstreamUrl) {
    return "      model: ollama_chat/" + upstreamModel + "\n      api_base: " + upstreamUrl;
  }

  @Override
  protected Set<Feature> features() {
    return EnumSet.of(Feature.TOOLS, Feature.EMBEDDINGS);
  }

  @Override
  protected void assertNativeChatRequest(FakeUpstream.Recorded r) throws Exception {
    assertThat(r.path()).isEqualTo("/api/chat");
    JsonNode body = JSON.readTree(r.bodyString());
    assertThat(body.path("stream").asBoolean(true)).isFalse();
    assertThat(body.path("messages").path(0).path("role").asText()).isEqualTo("system");
    assertThat(body.path("options").path("num_predict").asInt()).isEqualTo(50);
    assertThat(body.path("options").path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.path("options").path("stop").path(0).asText()).isEqualTo("END");
  }

  @Override
  protected void assertNativeToolResults(FakeUpstream.Recorded r) throws Exception {
    JsonNode messages = JSON.readTree(r.bodyString()).path("messages");
    assertThat(messages.path(1).path("tool_calls").path(0).path("function").path("arguments").path("city").asText()).isEqualTo("Paris");
    assertThat(messages.path(3).path("role").asText()).isEqualTo("tool");
    assertThat(messages.path(3).path("tool_name").asText()).isEqualTo("get_weather");
  }
}
