package dev.tollgate.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.ErrorType;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.Metadata;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeAnthropic;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.ScriptedOpenAi;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official Anthropic SDK against {@code /v1/messages}, with an OpenAI model and with an Anthropic model behind it. */
class MessagesApiTest {
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(MessagesApiTest::answers, MessagesApiTest::config);

  private static void answers(FakeUpstream upstream) {
    upstream.onPost("/text/chat/completions", ScriptedOpenAi.answer("Hello from GPT", null, "stop"));
    upstream.onPost("/tools/chat/completions", ScriptedOpenAi.answer(null, ScriptedOpenAi.toolCalls(
        "call_1", "weather", "{\"city\":\"Paris\"}", "call_2", "weather", "{\"city\":\"Rome\"}"), "tool_calls"));
    upstream.onPost("/e500/chat/completions", rc -> rc.response().setStatusCode(500).putHeader("content-type", "application/json")
        .end("{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}"));
    upstream.onPost("/badchunk/chat/completions", rc -> rc.response().putHeader("content-type", "text/event-stream")
        .end("data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {not json\n\n"));
    upstream.onPost("/truncated/chat/completions", rc -> rc.response().putHeader("content-type", "text/event-stream")
        .end("data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"));
    upstream.onPost("/html/chat/completions", rc -> rc.response().putHeader("content-type", "text/html").end("<html>login</html>"));
    upstream.onPost("/reasoning/chat/completions", rc -> {
      boolean stream = rc.body().asString().contains("\"stream\":true");
      if (!stream) {
        rc.response().putHeader("content-type", "application/json").end("{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"r1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"42\","
            + "\"reasoning_content\":\"6 times 7\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":9}}");
        return;
      }
      rc.response().putHeader("content-type", "text/event-stream").end(
          "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"6 times\"}}]}\n\n"
          + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\" 7\"}}]}\n\n"
          + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"42\"}}]}\n\n"
          + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n");
    });
    upstream.onPost("/native/v1/messages", FakeAnthropic.answer(FakeAnthropic.message("end_turn", 9, 3, FakeAnthropic.text("Native hello"))));
  }

  private static String config(String url) {
    return ("litellm_settings:\n  num_retries: 0\nmodel_list:\n"
        + openAi("gpt", "text") + openAi("gpt-tools", "tools") + openAi("gpt-down", "e500") + openAi("gpt-badchunk", "badchunk")
        + openAi("gpt-truncated", "truncated") + openAi("gpt-html", "html") + openAi("reasoner", "reasoning")
        + "  - model_name: claude\n    litellm_params:\n      model: anthropic/claude-opus-4\n      api_base: URL/native\n"
        + "      api_key: sk-ant-native\n"
        + "  - model_name: mocked\n    litellm_params:\n      model: anthropic/claude-opus-4\n      mock_response: Mocked answer here\n")
        .replace("URL", url);
  }

  private static String openAi(String name, String path) {
    return "  - model_name: " + name + "\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: URL/" + path
        + "\n      api_key: sk-openai\n";
  }

  @Test
  void anOpenAiModelAnswersAMessagesRequest() throws Exception {
    Message reply = gw.anthropicSdk().messages().create(MessageCreateParams.builder().model("gpt").maxTokens(256)
        .system("Be brief.").addUserMessage("Hi").stopSequences(List.of("END")).putAdditionalBodyProperty("temperature", JsonValue.from(0.3))
        .metadata(Metadata.builder().userId("u-1").build()).build());

    assertThat(reply.content()).hasSize(1);
    assertThat(reply.content().get(0).asText().text()).isEqualTo("Hello from GPT");
    assertThat(reply.stopReason()).hasValue(StopReason.END_TURN);
    assertThat(reply.model().asString()).isEqualTo("gpt");
    assertThat(reply.usage().inputTokens()).isEqualTo(10); // 12 prompt tokens, 2 of them cached
    assertThat(reply.usage().cacheReadInputTokens()).hasValue(2L);
    assertThat(reply.usage().outputTokens()).isEqualTo(7);

    JsonNode sent = gw.upstream.last().json();
    assertThat(gw.upstream.last().headers().get("authorization")).isEqualTo("Bearer sk-openai");
    assertThat(sent.path("model").asText()).isEqualTo("gpt-4o-mini");
    assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("system");
    assertThat(sent.path("messages").get(0).path("content").asText()).isEqualTo("Be brief.");
    assertThat(sent.path("messages").get(1).path("content").asText()).isEqualTo("Hi");
    assertThat(sent.path("max_tokens").asInt()).isEqualTo(256);
    assertThat(sent.path("stop").get(0).asText()).isEqualTo("END");
    assertThat(sent.path("user").asText()).isEqualTo("u-1");
  }

  @Test
  void anOpenAiStreamBecomesAnthropicEvents() {
    MessageAccumulator acc = MessageAccumulator.create();
    List<String> types = new ArrayList<>();
    try (StreamResponse<RawMessageStreamEvent> stream = gw.anthropicSdk().messages().createStreaming(MessageCreateParams.builder()
        .model("gpt").maxTokens(100).addUserMessage("Hi").build())) {
      stream.stream().forEach(e -> {
        acc.accumulate(e);
        types.add(e.isMessageStart() ? "start" : e.isMessageStop() ? "stop" : e.isContentBlockDelta() ? "delta" : "other");
      });
    }
    Message m = acc.message();
    assertThat(m.content().get(0).asText().text()).isEqualTo("Hello from GPT");
    assertThat(m.stopReason()).hasValue(StopReason.END_TURN);
    assertThat(m.usage().outputTokens()).isEqualTo(7);
    assertThat(types.get(0)).isEqualTo("start");
    assertThat(types.get(types.size() - 1)).isEqualTo("stop");
    assertThat(types.stream().filter("delta"::equals).count()).isEqualTo(3); // one per streamed word
  }

  @Test
  void toolCallsStreamAsToolUseBlocksAndResultsGoBackAsToolMessages() throws Exception {
    Tool weather = Tool.builder().name("weather").description("Weather for a city")
        .inputSchema(Tool.InputSchema.builder().properties(JsonValue.from(Map.of("city", Map.of("type", "string"))))
            .required(List.of("city")).build()).build();
    MessageCreateParams first = MessageCreateParams.builder().model("gpt-tools").maxTokens(200)
        .addUserMessage("Weather in Paris and Rome?").addTool(weather).build();
    MessageAccumulator acc = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream = gw.anthropicSdk().messages().createStreaming(first)) {
      stream.stream().forEach(acc::accumulate);
    }
    Message m = acc.message();
    assertThat(m.stopReason()).hasValue(StopReason.TOOL_USE);
    List<ToolUseBlock> uses = m.content().stream().filter(ContentBlock::isToolUse).map(ContentBlock::asToolUse).toList();
    assertThat(uses).extracting(ToolUseBlock::id).containsExactly("call_1", "call_2");
    assertThat(uses.get(1)._input().convert(Map.class)).isEqualTo(Map.of("city", "Rome"));
    JsonNode sentTools = gw.upstream.last().json().path("tools");
    assertThat(sentTools.get(0).path("function").path("parameters").path("required").get(0).asText()).isEqualTo("city");

    gw.anthropicSdk().messages().create(first.toBuilder().addMessage(m).addUserMessageOfContentBlockParams(List.of(
            ContentBlockParam.ofToolResult(ToolResultBlockParam.builder().toolUseId("call_1").content("18C").build()),
            ContentBlockParam.ofToolResult(ToolResultBlockParam.builder().toolUseId("call_2").content("24C").build())))
        .build());
    JsonNode history = gw.upstream.last().json().path("messages");
    assertThat(history.get(1).path("tool_calls").get(1).path("function").path("arguments").asText()).contains("Rome");
    assertThat(history.get(2).path("role").asText()).isEqualTo("tool");
    assertThat(history.get(2).path("tool_call_id").asText()).isEqualTo("call_1");
    assertThat(history.get(3).path("content").asText()).isEqualTo("24C");
  }

  @Test
  void reasoningBecomesAThinkingBlockAndLengthMaxTokens() {
    MessageCreateParams params = MessageCreateParams.builder().model("reasoner").maxTokens(9).addUserMessage("6*7?").build();
    Message whole = gw.anthropicSdk().messages().create(params);
    MessageAccumulator acc = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream = gw.anthropicSdk().messages().createStreaming(params)) {
      stream.stream().forEach(acc::accumulate);
    }
    for (Message m : List.of(whole, acc.message())) {
      assertThat(m.content()).hasSize(2);
      assertThat(m.content().get(0).asThinking().thinking()).isEqualTo("6 times 7");
      assertThat(m.content().get(1).asText().text()).isEqualTo("42");
      assertThat(m.stopReason()).hasValue(StopReason.MAX_TOKENS);
    }
  }

  @Test
  void anAnthropicModelGetsTheRequestAsItCame() throws Exception {
    Message reply = gw.anthropicSdk().messages().create(MessageCreateParams.builder().model("claude").maxTokens(64).addUserMessage("Hi")
        .metadata(Metadata.builder().userId("u-9").build())
        .putAdditionalHeader("anthropic-beta", "prompt-caching-2024-07-31")
        .putAdditionalBodyProperty("top_k", JsonValue.from(5)).build());
    assertThat(reply.content().get(0).asText().text()).isEqualTo("Native hello");
    assertThat(reply.usage().inputTokens()).isEqualTo(9);

    FakeUpstream.Recorded sent = gw.upstream.last();
    assertThat(sent.path()).isEqualTo("/native/v1/messages");
    assertThat(sent.headers().get("x-api-key")).isEqualTo("sk-ant-native");
    assertThat(sent.headers().get("anthropic-beta")).isEqualTo("prompt-caching-2024-07-31");
    JsonNode body = gw.upstream.last().json();
    assertThat(body.path("model").asText()).isEqualTo("claude-opus-4");
    assertThat(body.path("top_k").asInt()).isEqualTo(5);
    assertThat(body.path("metadata").path("user_id").asText()).isEqualTo("u-9");
    assertThat(body.has(dev.tollgate.provider.anthropic.AnthropicProvider.NATIVE_EXTRAS)).isFalse();

    MessageAccumulator acc = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream = gw.anthropicSdk().messages().createStreaming(MessageCreateParams.builder()
        .model("claude").maxTokens(64).addUserMessage("Hi").build())) {
      stream.stream().forEach(acc::accumulate);
    }
    assertThat(acc.message().content().get(0).asText().text()).isEqualTo("Native hello");
    assertThat(acc.message().usage().outputTokens()).isEqualTo(3);
  }

  @Test
  void errorsHaveAnthropicsShape() throws Exception {
    assertThatThrownBy(() -> gw.anthropicSdk().messages().create(MessageCreateParams.builder().model("nope").maxTokens(5).addUserMessage("x").build()))
        .isInstanceOfSatisfying(BadRequestException.class, e -> {
          assertThat(e.type()).hasValue(ErrorType.INVALID_REQUEST_ERROR);
          assertThat(e.getMessage()).contains("Available models: gpt");
        });
    assertThatThrownBy(() -> gw.anthropicSdk().messages().create(MessageCreateParams.builder().model("gpt-down").maxTokens(5).addUserMessage("x").build()))
        .isInstanceOfSatisfying(InternalServerException.class, e -> assertThat(e.getMessage()).contains("The server had an error"));
    AnthropicClient wrongKey = AnthropicOkHttpClient.builder().baseUrl(gw.gateway.url()).apiKey("sk-wrong").maxRetries(0).build();
    try {
      assertThatThrownBy(() -> wrongKey.messages().create(MessageCreateParams.builder().model("gpt").maxTokens(5).addUserMessage("x").build()))
          .isInstanceOf(UnauthorizedException.class);
    } finally {
      wrongKey.close();
    }
    HttpResponse<String> raw = gw.gateway.post("/v1/messages", "{\"model\":\"gpt-down\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    JsonNode err = FakeAnthropic.JSON.readTree(raw.body());
    assertThat(err.path("type").asText()).isEqualTo("error");
    assertThat(err.path("error").path("type").asText()).isEqualTo("api_error");
    assertThat(gw.gateway.post("/v1/messages", "[1,2]").statusCode()).isEqualTo(400);
  }

  @Test
  void brokenUpstreamStreamsEndInAnAnthropicError() throws Exception {
    HttpResponse<String> bad = gw.gateway.post("/v1/messages", stream("gpt-badchunk"));
    assertThat(bad.body()).contains("event: content_block_delta").contains("event: error").contains("not JSON")
        .doesNotContain("message_stop");
    HttpResponse<String> truncated = gw.gateway.post("/v1/messages", stream("gpt-truncated"));
    assertThat(truncated.body()).contains("event: error").contains("truncated").doesNotContain("message_stop");
    HttpResponse<String> html = gw.gateway.post("/v1/messages", stream("gpt-html"));
    assertThat(html.statusCode()).isEqualTo(502);
    assertThat(FakeAnthropic.JSON.readTree(html.body()).path("error").path("type").asText()).isEqualTo("api_error");
  }

  private static String stream(String model) {
    return "{\"model\":\"" + model + "\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  @Test
  void aMockedAnthropicDeploymentAnswersWithoutAnyUpstream() {
    int before = gw.upstream.received().size();
    MessageAccumulator acc = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream = gw.anthropicSdk().messages().createStreaming(MessageCreateParams.builder()
        .model("mocked").maxTokens(20).addUserMessage("Hi").build())) {
      stream.stream().forEach(acc::accumulate);
    }
    assertThat(acc.message().content().get(0).asText().text()).isEqualTo("Mocked answer here");
    assertThat(gw.anthropicSdk().messages().create(MessageCreateParams.builder().model("mocked").maxTokens(20).addUserMessage("Hi").build())
        .content().get(0).asText().text()).isEqualTo("Mocked answer here");
    assertThat(gw.upstream.received()).hasSize(before);
  }

  @Test
  void aClaudeCodeStyleRequestReachesAnOpenAiModel() throws Exception {
    HttpResponse<String> r = TestGateway.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gw.gateway.url() + "/v1/messages?beta=true"))
        .header("x-api-key", TestGateway.MASTER_KEY).header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14").header("content-type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""
            {"model":"gpt","max_tokens":32000,"stream":true,"thinking":{"type":"enabled","budget_tokens":4000},
             "system":[{"type":"text","text":"You are Claude Code."},{"type":"text","text":"Be terse.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"<system-reminder>ctx</system-reminder>"},
               {"type":"text","text":"fix the bug","cache_control":{"type":"ephemeral"}}]}],
             "tools":[{"name":"Bash","description":"Run a command","input_schema":{"type":"object","properties":{"command":{"type":"string"}},
               "required":["command"]},"cache_control":{"type":"ephemeral"}},{"type":"web_search_20250305","name":"web_search"}],
             "tool_choice":{"type":"auto"},"metadata":{"user_id":"user_abc"}}""")).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).startsWith("event: message_start").contains("Hello from GPT".substring(0, 5)).endsWith("data: {\"type\":\"message_stop\"}\n\n");
    JsonNode sent = gw.upstream.last().json();
    assertThat(sent.at("/messages/0/content").asText()).isEqualTo("You are Claude Code.\nBe terse.");
    assertThat(sent.at("/messages/1/content/1/text").asText()).isEqualTo("fix the bug");
    assertThat(sent.path("tools")).hasSize(1); // the server-side web search has no OpenAI equivalent
    assertThat(sent.at("/tools/0/function/name").asText()).isEqualTo("Bash");
    assertThat(sent.path("tool_choice").asText()).isEqualTo("auto");
    assertThat(sent.has("thinking")).isFalse();
    assertThat(sent.path("max_tokens").asInt()).isEqualTo(32000);
  }

  @Test
  void countTokensIsAnEstimate() {
    long tokens = gw.anthropicSdk().messages().countTokens(MessageCountTokensParams.builder().model("gpt")
        .addUserMessage("A sentence of about forty characters....").build()).inputTokens();
    assertThat(tokens).isBetween(10L, 30L);
  }
}
