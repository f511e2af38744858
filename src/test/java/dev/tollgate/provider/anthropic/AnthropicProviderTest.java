package dev.tollgate.provider.anthropic;

import static dev.tollgate.testing.FakeAnthropic.message;
import static dev.tollgate.testing.FakeAnthropic.text;
import static dev.tollgate.testing.FakeAnthropic.thinking;
import static dev.tollgate.testing.FakeAnthropic.toolUse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import dev.tollgate.testing.FakeAnthropic;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official OpenAI SDK through the gateway to a fake that speaks Anthropic's Messages API. */
class AnthropicProviderTest {
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(AnthropicProviderTest::answers, AnthropicProviderTest::config);

  private static String config(String url) {
    // no retries: these tests are about single answers (error cases would otherwise be retried with backoff)
    return ("litellm_settings:\n  num_retries: 0\nmodel_list:\n"
        + model("claude", "chat") + model("claude-tools", "tools") + model("claude-json", "json")
        + model("claude-think", "think") + model("claude-529", "e529") + model("claude-429", "e429")
        + model("claude-401", "e401") + model("claude-400", "e400") + model("claude-truncated", "truncated")
        + model("claude-badjson", "badjson") + model("claude-html200", "html200") + model("claude-html502", "html502")
        + model("claude-lateerror", "lateerror")).replace("URL", url);
  }

  private static String model(String name, String path) {
    return "  - model_name: " + name + "\n    litellm_params:\n      model: anthropic/claude-sonnet-4-5\n"
        + "      api_base: URL/" + path + "\n      api_key: sk-ant-test\n";
  }

  /** Each test answers on its own path, so tests do not share handlers. */
  private static void answers(FakeUpstream upstream) {
    ObjectNode cached = message("end_turn", 10, 4, text("Hello there"));
    ((ObjectNode) cached.get("usage")).put("cache_read_input_tokens", 5).put("cache_creation_input_tokens", 3);
    upstream.onPost("/chat/v1/messages", FakeAnthropic.answer(cached));
    upstream.onPost("/tools/v1/messages", FakeAnthropic.answer(req -> req.path("messages").size() > 1
        ? message("end_turn", 30, 5, text("Sunny in both."))
        : message("tool_use", 20, 9, text("Checking."), toolUse("toolu_1", "weather", "{\"city\":\"Paris\"}"),
            toolUse("toolu_2", "weather", "{\"city\":\"Rome\",\"unit\":\"C\"}")), 0));
    upstream.onPost("/json/v1/messages", FakeAnthropic.answer(message("tool_use", 8, 6,
        toolUse("toolu_j", AnthropicWire.JSON_TOOL, "{\"answer\":42}"))));
    upstream.onPost("/think/v1/messages", FakeAnthropic.answer(message("end_turn", 8, 20, thinking("Let me think."), text("42"))));
    upstream.onPost("/e529/v1/messages", FakeAnthropic.error(529, "overloaded_error", "Overloaded"));
    upstream.onPost("/e429/v1/messages", FakeAnthropic.error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"));
    upstream.onPost("/e401/v1/messages", FakeAnthropic.error(401, "authentication_error", "invalid x-api-key"));
    upstream.onPost("/e400/v1/messages", FakeAnthropic.error(400, "invalid_request_error", "messages: text content blocks must be non-empty"));
    List<String[]> events = FakeAnthropic.events(message("end_turn", 5, 5, text("Hello world")));
    upstream.onPost("/truncated/v1/messages", FakeAnthropic.raw("text/event-stream",
        FakeAnthropic.format(events.get(0)) + FakeAnthropic.format(events.get(2)) + FakeAnthropic.format(events.get(3))));
    upstream.onPost("/badjson/v1/messages", FakeAnthropic.raw("text/event-stream", "event: message_start\ndata: {\"type\":\"message_start\",\n\n"));
    upstream.onPost("/html200/v1/messages", FakeAnthropic.raw("text/html", "<html><body>Welcome to the captive portal</body></html>"));
    upstream.onPost("/html502/v1/messages", rc -> rc.response().setStatusCode(502).putHeader("content-type", "text/html")
        .end("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"));
    upstream.onPost("/lateerror/v1/messages", FakeAnthropic.raw("text/event-stream", FakeAnthropic.format(events.get(0))
        + FakeAnthropic.format(events.get(2)) + FakeAnthropic.format(events.get(3))
        + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"));
  }

  @Test
  void chatBecomesAMessagesCallAndTheAnswerAChatCompletion() throws Exception {
    ChatCompletion reply = gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder()
        .model("claude").addSystemMessage("Be brief.").addUserMessage("Hi").addUserMessage("Anyone there?")
        .stop("END").temperature(0.2).maxCompletionTokens(300).user("user-7").build());

    assertThat(reply.choices().get(0).message().content()).hasValue("Hello there");
    assertThat(reply.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(reply.usage().get().promptTokens()).isEqualTo(18); // 10 + 5 read + 3 written
    assertThat(reply.usage().get().completionTokens()).isEqualTo(4);
    assertThat(reply.usage().get().promptTokensDetails().get().cachedTokens()).hasValue(5L);

    FakeUpstream.Recorded sent = gw.upstream.last();
    assertThat(sent.path()).isEqualTo("/chat/v1/messages");
    assertThat(sent.headers().get("x-api-key")).isEqualTo("sk-ant-test");
    assertThat(sent.headers().get("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(sent.headers().get("authorization")).isNull();
    assertThat(sent.bodyString()).doesNotContain(TestGateway.MASTER_KEY);
    JsonNode body = gw.upstream.last().json();
    assertThat(body.path("model").asText()).isEqualTo("claude-sonnet-4-5");
    assertThat(body.path("system").get(0).path("text").asText()).isEqualTo("Be brief.");
    assertThat(body.path("messages")).hasSize(1); // the two user turns merged into one
    assertThat(body.path("messages").get(0).path("content")).hasSize(2);
    assertThat(body.path("max_tokens").asInt()).isEqualTo(300);
    assertThat(body.path("stop_sequences").get(0).asText()).isEqualTo("END");
    assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.path("metadata").path("user_id").asText()).isEqualTo("user-7");
  }

  @Test
  void maxTokensGetsADefaultBecauseAnthropicRequiresIt() throws Exception {
    HttpResponse<String> r = gw.gateway.post("/v1/chat/completions", "{\"model\":\"claude\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(gw.upstream.last().json().path("max_tokens").asInt()).isEqualTo(AnthropicRequest.DEFAULT_MAX_TOKENS);
  }

  @Test
  void streamIsRechunkedIntoOpenAiDeltasWithUsageAtTheEnd() {
    ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
    long chunks;
    try (StreamResponse<ChatCompletionChunk> stream = gw.openAiSdk().chat().completions().createStreaming(ChatCompletionCreateParams.builder()
        .model("claude").addUserMessage("Hi").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
      chunks = stream.stream().peek(acc::accumulate).count();
    }
    ChatCompletion done = acc.chatCompletion();
    assertThat(chunks).isGreaterThanOrEqualTo(4); // role, two text deltas, finish, usage
    assertThat(done.choices().get(0).message().content()).hasValue("Hello there");
    assertThat(done.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(done.usage().get().promptTokens()).isEqualTo(18);
    assertThat(done.usage().get().completionTokens()).isEqualTo(4);
  }

  @Test
  void parallelToolCallsAndTheirResultsRoundTrip() throws Exception {
    FunctionDefinition weather = FunctionDefinition.builder().name("weather").description("Weather for a city")
        .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
            .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string")))).build()).build();
    ChatCompletionCreateParams first = ChatCompletionCreateParams.builder().model("claude-tools")
        .addUserMessage("Weather in Paris and Rome?").addFunctionTool(weather)
        .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).parallelToolCalls(false).build();
    ChatCompletion reply = gw.openAiSdk().chat().completions().create(first);

    JsonNode sent = gw.upstream.last().json();
    assertThat(sent.path("tools").get(0).path("name").asText()).isEqualTo("weather");
    assertThat(sent.path("tools").get(0).path("input_schema").path("properties").has("city")).isTrue();
    assertThat(sent.path("tool_choice").path("type").asText()).isEqualTo("any");
    assertThat(sent.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();

    var message = reply.choices().get(0).message();
    assertThat(reply.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    assertThat(message.content()).hasValue("Checking.");
    List<ChatCompletionMessageFunctionToolCall> calls = message.toolCalls().orElseThrow().stream().map(c -> c.asFunction()).toList();
    assertThat(calls).extracting(ChatCompletionMessageFunctionToolCall::id).containsExactly("toolu_1", "toolu_2");
    assertThat(FakeAnthropic.JSON.readTree(calls.get(1).function().arguments())).isEqualTo(FakeAnthropic.JSON.readTree("{\"city\":\"Rome\",\"unit\":\"C\"}"));

    ChatCompletion second = gw.openAiSdk().chat().completions().create(first.toBuilder()
        .addMessage(message)
        .addMessage(ChatCompletionToolMessageParam.builder().toolCallId("toolu_1").content("18C sunny").build())
        .addMessage(ChatCompletionToolMessageParam.builder().toolCallId("toolu_2").content("24C sunny").build())
        .addUserMessage("Summarise.").build());
    // the fake refuses tool results that do not follow their tool_use, and roles that do not alternate
    assertThat(second.choices().get(0).message().content()).hasValue("Sunny in both.");
    JsonNode history = gw.upstream.last().json().path("messages");
    assertThat(history).hasSize(3);
    assertThat(history.get(1).path("content").get(1).path("type").asText()).isEqualTo("tool_use");
    assertThat(history.get(1).path("content").get(1).path("input").path("city").asText()).isEqualTo("Paris");
    JsonNode results = history.get(2).path("content");
    assertThat(results.get(0).path("tool_use_id").asText()).isEqualTo("toolu_1");
    assertThat(results.get(1).path("content").asText()).isEqualTo("24C sunny");
    assertThat(results.get(2).path("text").asText()).isEqualTo("Summarise.");
  }

  @Test
  void streamedToolCallsKeepTheirIndices() throws Exception {
    ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
    try (StreamResponse<ChatCompletionChunk> stream = gw.openAiSdk().chat().completions().createStreaming(ChatCompletionCreateParams.builder()
        .model("claude-tools").addUserMessage("Weather?").build())) {
      stream.stream().forEach(acc::accumulate);
    }
    var message = acc.chatCompletion().choices().get(0).message();
    List<ChatCompletionMessageFunctionToolCall> calls = message.toolCalls().orElseThrow().stream().map(c -> c.asFunction()).toList();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).function().name()).isEqualTo("weather");
    assertThat(FakeAnthropic.JSON.readTree(calls.get(0).function().arguments()).path("city").asText()).isEqualTo("Paris");
    assertThat(FakeAnthropic.JSON.readTree(calls.get(1).function().arguments()).path("unit").asText()).isEqualTo("C");
    assertThat(acc.chatCompletion().choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
  }

  @Test
  void imagesFromDataUrlsAndUrlsBecomeImageBlocks() throws Exception {
    gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder().model("claude")
        .addUserMessageOfArrayOfContentParts(List.of(
            ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("Compare").build()),
            ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder().imageUrl(
                ChatCompletionContentPartImage.ImageUrl.builder().url("data:image/png;base64,iVBORw0KGgo=").build()).build()),
            ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder().imageUrl(
                ChatCompletionContentPartImage.ImageUrl.builder().url("https://example.com/cat.jpg").build()).build())))
        .build());
    JsonNode content = gw.upstream.last().json().path("messages").get(0).path("content");
    assertThat(content.get(1).path("source").path("type").asText()).isEqualTo("base64");
    assertThat(content.get(1).path("source").path("media_type").asText()).isEqualTo("image/png");
    assertThat(content.get(1).path("source").path("data").asText()).isEqualTo("iVBORw0KGgo=");
    assertThat(content.get(2).path("source").path("url").asText()).isEqualTo("https://example.com/cat.jpg");
  }

  @Test
  void jsonModeIsAForcedToolWhoseInputBecomesTheContent() throws Exception {
    ChatCompletion reply = gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder().model("claude-json")
        .addUserMessage("The answer as JSON").responseFormat(ResponseFormatJsonObject.builder().build()).build());
    assertThat(reply.choices().get(0).message().content()).hasValue("{\"answer\":42}");
    assertThat(reply.choices().get(0).message().toolCalls()).isEmpty();
    assertThat(reply.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    JsonNode sent = gw.upstream.last().json();
    assertThat(sent.path("tool_choice").path("name").asText()).isEqualTo(AnthropicWire.JSON_TOOL);

    HttpResponse<String> streamed = gw.gateway.post("/v1/chat/completions", "{\"model\":\"claude-json\",\"stream\":true,"
        + "\"response_format\":{\"type\":\"json_object\"},\"messages\":[{\"role\":\"user\",\"content\":\"JSON\"}]}");
    assertThat(streamed.body()).contains("\"content\":\"{\\\"answ").contains("er\\\":42}").doesNotContain("tool_calls").contains("\"finish_reason\":\"stop\"");
  }

  @Test
  void thinkingBecomesReasoningContentAndReasoningEffortAThinkingBudget() throws Exception {
    HttpResponse<String> r = gw.gateway.post("/v1/chat/completions", "{\"model\":\"claude-think\",\"reasoning_effort\":\"low\","
        + "\"max_tokens\":500,\"messages\":[{\"role\":\"user\",\"content\":\"6*7?\"}]}");
    JsonNode body = FakeAnthropic.JSON.readTree(r.body());
    assertThat(body.at("/choices/0/message/reasoning_content").asText()).isEqualTo("Let me think.");
    assertThat(body.at("/choices/0/message/content").asText()).isEqualTo("42");
    JsonNode sent = gw.upstream.last().json();
    assertThat(sent.path("thinking").path("type").asText()).isEqualTo("enabled");
    assertThat(sent.path("thinking").path("budget_tokens").asInt()).isEqualTo(1024);
    assertThat(sent.path("max_tokens").asInt()).as("the client's cap, not raised: it bounds the cost").isEqualTo(500);

    HttpResponse<String> streamed = gw.gateway.post("/v1/chat/completions", "{\"model\":\"claude-think\",\"stream\":true,"
        + "\"reasoning_effort\":\"medium\",\"messages\":[{\"role\":\"user\",\"content\":\"6*7?\"}]}");
    assertThat(gw.upstream.last().json().path("max_tokens").asInt()).as("no cap given: room for the budget and an answer")
        .isEqualTo(2048 + 4096);
    assertThat(streamed.body()).contains("\"reasoning_content\":\"Let me\"").contains("\"content\":\"4\"").endsWith("data: [DONE]\n\n")
        .contains("\"thinking_blocks\":[{\"type\":\"thinking\",\"thinking\":\"Let me think.\",\"signature\":\"sig-13\"}]");
  }

  @Test
  void anthropicErrorsBecomeOpenAiErrorsWithTheRightStatus() {
    assertThatThrownBy(() -> gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder().model("claude-529").addUserMessage("x").build()))
        .isInstanceOfSatisfying(InternalServerException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(503);
          assertThat(e.getMessage()).contains("Overloaded");
        });
    assertThatThrownBy(() -> gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder().model("claude-429").addUserMessage("x").build()))
        .isInstanceOf(RateLimitException.class);
    assertThatThrownBy(() -> gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder().model("claude-401").addUserMessage("x").build()))
        .isInstanceOf(UnauthorizedException.class);
    assertThatThrownBy(() -> gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder().model("claude-400").addUserMessage("x").build()))
        .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("text content blocks must be non-empty"));
  }

  @Test
  void parametersAnthropicDoesNotTakeAreRefusedByNameOrDropped() throws Exception {
    HttpResponse<String> refused = gw.gateway.post("/v1/chat/completions", "{\"model\":\"claude\",\"seed\":7,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(FakeAnthropic.JSON.readTree(refused.body()).at("/error/param").asText()).isEqualTo("seed");

    HttpResponse<String> dropped = gw.gateway.post("/v1/chat/completions", "{\"model\":\"claude\",\"seed\":7,\"drop_params\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(dropped.statusCode()).isEqualTo(200);
    assertThat(gw.upstream.last().json().has("seed")).isFalse();
  }

  @Test
  void brokenUpstreamsGiveCleanErrorsNeverAHang() throws Exception {
    // truncated: the stream started, so it ends with an SSE error event
    HttpResponse<String> truncated = gw.gateway.post("/v1/chat/completions", stream("claude-truncated"));
    assertThat(truncated.statusCode()).isEqualTo(200);
    assertThat(truncated.body()).contains("\"content\":\"Hello\"").contains("truncated").contains("\"error\"");
    // an event that is not JSON before anything was sent: a plain 502
    assertClean(gw.gateway.post("/v1/chat/completions", stream("claude-badjson")), 502, "not JSON");
    // 200 with an HTML page, streaming and not
    assertClean(gw.gateway.post("/v1/chat/completions", stream("claude-html200")), 502, "message_stop");
    assertClean(gw.gateway.post("/v1/chat/completions", "{\"model\":\"claude-html200\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        502, "captive portal");
    // an HTML error page from a proxy in front of Anthropic
    assertClean(gw.gateway.post("/v1/chat/completions", stream("claude-html502")), 502, "502 Bad Gateway");
    // an error event after the first chunk
    HttpResponse<String> late = gw.gateway.post("/v1/chat/completions", stream("claude-lateerror"));
    assertThat(late.body()).contains("\"content\":\"Hello\"").contains("Overloaded").doesNotContain("[DONE]");

    assertThatThrownBy(() -> {
      try (StreamResponse<ChatCompletionChunk> s = gw.openAiSdk().chat().completions().createStreaming(ChatCompletionCreateParams.builder()
          .model("claude-badjson").addUserMessage("x").build())) {
        s.stream().count();
      }
    }).isInstanceOf(OpenAIServiceException.class);
  }

  private static String stream(String model) {
    return "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static void assertClean(HttpResponse<String> r, int status, String messagePart) throws Exception {
    assertThat(r.statusCode()).isEqualTo(status);
    JsonNode err = FakeAnthropic.JSON.readTree(r.body()).path("error");
    assertThat(err.path("message").asText()).contains(messagePart);
    assertThat(err.has("type")).isTrue();
  }
}
