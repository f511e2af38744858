package dev.tollgate.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.testing.FakeAnthropic;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** OpenAI chat requests as Messages requests: the cases the end-to-end tests do not reach. */
class AnthropicRequestTest {
  private static ObjectNode translate(String openAi) throws Exception {
    return AnthropicRequest.fromOpenAi((ObjectNode) Json.MAPPER.readTree(openAi), "claude-x", false);
  }

  /** The fake's checks are the real API's: a translated request must pass them. */
  private static void assertAnthropicAccepts(JsonNode request) {
    assertThat(FakeAnthropic.validate(request, MultiMap.caseInsensitiveMultiMap().add("x-api-key", "k")
        .add("anthropic-version", AnthropicWire.VERSION))).isNull();
  }

  @Test
  void systemAndDeveloperMessagesAnywhereBecomeTheTopLevelSystem() throws Exception {
    ObjectNode out = translate("""
        {"messages":[{"role":"system","content":"A"},{"role":"user","content":"hi"},
          {"role":"developer","content":[{"type":"text","text":"B","cache_control":{"type":"ephemeral"}}]}]}""");
    assertThat(out.path("system")).hasSize(2);
    assertThat(out.at("/system/1/cache_control/type").asText()).isEqualTo("ephemeral");
    assertThat(out.path("messages")).hasSize(1);
    assertAnthropicAccepts(out);
  }

  @Test
  void cacheControlOnAMessageGoesOnItsLastBlock() throws Exception {
    ObjectNode out = translate("""
        {"messages":[{"role":"system","content":"long document","cache_control":{"type":"ephemeral"}},
          {"role":"user","content":"q","cache_control":{"type":"ephemeral"}}]}""");
    assertThat(out.at("/system/0/cache_control/type").asText()).isEqualTo("ephemeral");
    assertThat(out.at("/messages/0/content/0/cache_control/type").asText()).isEqualTo("ephemeral");
    assertThat(AnthropicProvider.messagesUrl("https://proxy.corp/anthropic/v1/messages")).isEqualTo("https://proxy.corp/anthropic/v1/messages");
    assertThat(AnthropicProvider.messagesUrl("https://api.anthropic.com/v1")).isEqualTo("https://api.anthropic.com/v1/messages");
  }

  @Test
  void emptyAssistantTextIsLeftOutAndConsecutiveTurnsMerge() throws Exception {
    ObjectNode out = translate("""
        {"messages":[{"role":"user","content":"a"},{"role":"assistant","content":""},{"role":"assistant","content":"b"},
          {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":""}}]},
          {"role":"tool","tool_call_id":"t1","content":[{"type":"text","text":"done"}]},{"role":"user","content":"c"}]}""");
    JsonNode messages = out.path("messages");
    assertThat(messages).hasSize(3);
    assertThat(messages.at("/1/content")).hasSize(2); // "b" and the tool_use
    assertThat(messages.at("/1/content/1/input").isObject()).isTrue();
    assertThat(messages.at("/2/content/0/content/0/text").asText()).isEqualTo("done");
    assertAnthropicAccepts(out);
  }

  @Test
  void stopStringsPdfFilesAndAnthropicsOwnToolsPassThrough() throws Exception {
    ObjectNode out = translate("""
        {"stop":"###","messages":[{"role":"user","content":[{"type":"text","text":"read"},
          {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0="}}]}],
         "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}],"tool_choice":"none"}""");
    assertThat(out.path("stop_sequences").get(0).asText()).isEqualTo("###");
    assertThat(out.at("/messages/0/content/1/type").asText()).isEqualTo("document");
    assertThat(out.at("/messages/0/content/1/source/media_type").asText()).isEqualTo("application/pdf");
    assertThat(out.at("/tools/0/type").asText()).isEqualTo("web_search_20250305");
    assertThat(out.at("/tool_choice/type").asText()).isEqualTo("none");
  }

  @Test
  void jsonSchemaBecomesTheForcedToolsInputSchema() throws Exception {
    ObjectNode out = translate("""
        {"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema",
         "json_schema":{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"}}}}}}""");
    assertThat(out.at("/tools/0/name").asText()).isEqualTo(AnthropicWire.JSON_TOOL);
    assertThat(out.at("/tools/0/input_schema/properties/name/type").asText()).isEqualTo("string");
    assertThat(out.at("/tool_choice/type").asText()).isEqualTo("tool");
  }

  @Test
  void moreThanOneChoiceAndMalformedImagesAreRefused() {
    assertThatThrownBy(() -> translate("{\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.param()).isEqualTo("n"));
    assertThatThrownBy(() -> translate("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"data:nonsense\"}}]}]}"))
        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.status()).isEqualTo(400));
  }

  @Test
  void overloadedBecomes503WithItsTypeAsCode() {
    UpstreamException e = AnthropicWire.error(529, MultiMap.caseInsensitiveMultiMap(),
        io.vertx.core.buffer.Buffer.buffer("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
    assertThat(e.status()).isEqualTo(503);
    assertThat(e.code()).isEqualTo("overloaded_error");
    assertThat(e.retryable()).isTrue();
    assertThat(AnthropicWire.finishReason("stop_sequence")).isEqualTo("stop");
    assertThat(AnthropicWire.finishReason("max_tokens")).isEqualTo("length");
    assertThat(AnthropicWire.stopReason("tool_calls")).isEqualTo("tool_use");
  }
}
