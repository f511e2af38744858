package dev.tollgate.provider.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeOllama;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TranslatedProviderContract;
import java.util.EnumSet;
import java.util.Set;

/** {@code ollama/} on /api/generate: one prompt, no tools (refused by name unless drop_params). */
class OllamaGenerateProviderTest extends TranslatedProviderContract {
  @Override
  protected void installFake(FakeUpstream up) {
    FakeOllama.install(up);
  }

  @Override
  protected String litellmParams(String upstreamModel, String upstreamUrl) {
    return "      model: ollama/" + upstreamModel + "\n      api_base: " + upstreamUrl;
  }

  @Override
  protected Set<Feature> features() {
    return EnumSet.of(Feature.EMBEDDINGS);
  }

  @Override
  protected void assertNativeChatRequest(FakeUpstream.Recorded r) throws Exception {
    assertThat(r.path()).isEqualTo("/api/generate");
    JsonNode body = JSON.readTree(r.bodyString());
    assertThat(body.path("system").asText()).isEqualTo("Be brief.");
    assertThat(body.path("prompt").asText()).isEqualTo("Tollgate");
    assertThat(body.path("options").path("num_predict").asInt()).isEqualTo(50);
  }

  @Override
  protected void assertNativeToolResults(FakeUpstream.Recorded r) {
    throw new AssertionError("no tools on /api/generate");
  }
}
