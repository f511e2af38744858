package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import dev.tollgate.testing.FakeOpenAi;
import dev.tollgate.testing.GatewayOnFakeOpenAi;
import dev.tollgate.testing.TestGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway as the official OpenAI Java SDK sees it, in front of a fake OpenAI upstream: every
 * request shape a client sends comes back in the shape the SDK parses, and upstream errors map to
 * the SDK's exceptions.
 */
class OpenAiSdkTest {
  static final String UPSTREAM_KEY = "sk-upstream-secret";

  @RegisterExtension
  static final GatewayOnFakeOpenAi gw = new GatewayOnFakeOpenAi(apiBase -> """
      litellm_settings:
        num_retries: 0
      model_list:
        - model_name: gpt-test
          litellm_params:
            model: openai/gpt-4o-upstream
            api_base: %s
            api_key: os.environ/FAKE_OPENAI_KEY
        - model_name: embed-test
          litellm_params:
            model: openai/text-embedding-3-small
            api_base: %s
            api_key: os.environ/FAKE_OPENAI_KEY
          model_info:
            mode: embedding
      """.formatted(apiBase, apiBase), Map.of("FAKE_OPENAI_KEY", UPSTREAM_KEY));

  static OpenAIClient client(String baseUrl, String key) {
    return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(20)).build();
  }

  static OpenAIClient client() {
    return client(gw.gateway.url() + "/v1", TestGateway.MASTER_KEY);
  }

  static ChatCompletionCreateParams.Builder chat() {
    return ChatCompletionCreateParams.builder().model("gpt-test").addUserMessage("Say hello");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/v1"})
  void chatCompletionWithAndWithoutV1InTheBaseUrl(String suffix) {
    gw.upstream.answer("Hello there, friend.");
    ChatCompletion reply = client(gw.gateway.url() + suffix, TestGateway.MASTER_KEY).chat().completions().create(chat().build());

    assertThat(reply.choices()).hasSize(1);
    assertThat(reply.choices().get(0).message().content()).contains("Hello there, friend.");
    assertThat(reply.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(reply.usage()).isPresent();
    assertThat(gw.upstream.upstream().last().path()).isEqualTo("/v1/chat/completions");
    assertThat(gw.upstream.lastBody().get("model").asText()).isEqualTo("gpt-4o-upstream");
    assertThat(gw.upstream.upstream().last().headers().get("authorization")).isEqualTo("Bearer " + UPSTREAM_KEY);
  }

  @Test
  void streamingRelaysEveryChunkInOrder() {
    String text = "one two three four five six seven eight";
    gw.upstream.answer(text);
    List<String> pieces = new ArrayList<>();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chat().build())) {
      stream.stream().forEach(c -> {
        chunks.add(c);
        c.choices().forEach(ch -> ch.delta().content().filter(s -> !s.isEmpty()).ifPresent(pieces::add));
      });
    }
    assertThat(pieces).containsExactly("one ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight");
    assertThat(String.join("", pieces)).isEqualTo(text);
    assertThat(chunks.get(chunks.size() - 1).choices().get(0).finishReason()).contains(ChatCompletionChunk.Choice.FinishReason.STOP);
    // the client did not ask for usage: the usage chunk the gateway asked for is not relayed
    assertThat(chunks).allSatisfy(c -> assertThat(c.choices()).isNotEmpty());
    assertThat(chunks).allSatisfy(c -> assertThat(c.usage()).isEmpty());
    assertThat(gw.upstream.lastBody().path("stream_options").path("include_usage").asBoolean()).isTrue();
  }

  @Test
  void streamingUsageChunkOnlyWhenAsked() {
    gw.upstream.answer("counted words");
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(
        chat().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
      stream.stream().forEach(chunks::add);
    }
    ChatCompletionChunk last = chunks.get(chunks.size() - 1);
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage()).isPresent();
    assertThat(last.usage().get().completionTokens()).isEqualTo(2);
    assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.choices()).isNotEmpty());
  }

  @Test
  void toolDefinitionsReachTheUpstreamUntouchedAndToolCallsComeBack() {
    gw.upstream.toolCall("get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}");
    ChatCompletionFunctionTool tool = ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
        .name("get_weather").description("Current weather").strict(true)
        .parameters(FunctionParameters.builder()
            .putAdditionalProperty("type", JsonValue.from("object"))
            .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"),
                "unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit")))))
            .putAdditionalProperty("required", JsonValue.from(List.of("city", "unit")))
            .putAdditionalProperty("additionalProperties", JsonValue.from(false))
            .build())
        .build()).build();
    ChatCompletionCreateParams params = chat().addTool(tool)
        .toolChoice(com.openai.models.chat.completions.ChatCompletionToolChoiceOption.Auto.REQUIRED)
        .parallelToolCalls(false).build();

    ChatCompletion reply = client().chat().completions().create(params);

    JsonNode sent = gw.upstream.lastBody();
    assertThat(sent.get("tools")).isEqualTo(FakeOpenAi.parse("""
        [{"type":"function","function":{"name":"get_weather","description":"Current weather","strict":true,
          "parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},
                        "required":["city","unit"],"additionalProperties":false}}}]"""));
    assertThat(sent.get("tool_choice").asText()).isEqualTo("required");
    assertThat(sent.get("parallel_tool_calls").asBoolean()).isFalse();
    ChatCompletionMessageFunctionToolCall call = reply.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
    assertThat(call.function().name()).isEqualTo("get_weather");
    assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Paris\",\"unit\":\"celsius\"}");
    assertThat(reply.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
  }

  @Test
  void streamedToolCallArgumentsReassemble() {
    String args = "{\"city\":\"Reykjavik\",\"unit\":\"celsius\"}";
    gw.upstream.toolCall("get_weather", args);
    StringBuilder assembled = new StringBuilder();
    List<String> names = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chat().build())) {
      stream.stream().flatMap(c -> c.choices().stream()).flatMap(ch -> ch.delta().toolCalls().orElse(List.of()).stream())
          .forEach(tc -> tc.function().ifPresent(f -> {
            f.name().ifPresent(names::add);
            f.arguments().ifPresent(assembled::append);
          }));
    }
    assertThat(names).containsExactly("get_weather");
    assertThat(assembled.toString()).isEqualTo(args);
  }

  @Test
  void jsonModeIsForwarded() {
    gw.upstream.answer("{\"ok\":true}");
    ChatCompletion reply = client().chat().completions().create(
        chat().responseFormat(ResponseFormatJsonObject.builder().build()).build());
    assertThat(gw.upstream.lastBody().get("response_format")).isEqualTo(FakeOpenAi.parse("{\"type\":\"json_object\"}"));
    assertThat(reply.choices().get(0).message().content()).contains("{\"ok\":true}");
  }

  @Test
  void severalChoicesWithN() {
    ChatCompletion reply = client().chat().completions().create(chat().n(3).build());
    assertThat(reply.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0L, 1L, 2L);
    assertThat(gw.upstream.lastBody().get("n").asInt()).isEqualTo(3);
  }

  @Test
  void logprobsComeBack() {
    gw.upstream.answer("Hi you");
    ChatCompletion reply = client().chat().completions().create(chat().logprobs(true).topLogprobs(2).build());
    var tokens = reply.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
    assertThat(tokens).extracting(t -> t.token()).containsExactly("Hi ", "you");
    assertThat(gw.upstream.lastBody().get("top_logprobs").asInt()).isEqualTo(2);
  }

  @Test
  void imagesInContentReachTheUpstreamUntouched() {
    String dataUrl = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    var content = List.of(
        ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("What is in this image?").build()),
        ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder().imageUrl(
            ChatCompletionContentPartImage.ImageUrl.builder().url(dataUrl)
                .detail(ChatCompletionContentPartImage.ImageUrl.Detail.LOW).build()).build()));
    ChatCompletion reply = client().chat().completions().create(ChatCompletionCreateParams.builder().model("gpt-test")
        .addUserMessageOfArrayOfContentParts(content).build());
    assertThat(reply.choices().get(0).message().content()).isPresent();
    assertThat(gw.upstream.lastBody().get("messages").get(0).get("content")).isEqualTo(FakeOpenAi.parse("""
        [{"type":"text","text":"What is in this image?"},
         {"type":"image_url","image_url":{"url":"%s","detail":"low"}}]""".formatted(dataUrl)));
  }

  @Test
  void embeddings() {
    CreateEmbeddingResponse reply = client().embeddings().create(EmbeddingCreateParams.builder()
        .model("embed-test").inputOfArrayOfStrings(List.of("first", "second")).build());
    assertThat(reply.data()).hasSize(2);
    assertThat(reply.data().get(1).index()).isEqualTo(1);
    assertThat(reply.data().get(0).embedding()).hasSize(4);
    assertThat(reply.data().get(0).embedding().get(0)).isCloseTo(0.1f, org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(gw.upstream.upstream().last().path()).isEqualTo("/v1/embeddings");
    assertThat(gw.upstream.lastBody().get("model").asText()).isEqualTo("text-embedding-3-small");
  }

  @Test
  void textCompletions() {
    gw.upstream.answer("a completed sentence");
    Completion reply = client().completions().create(CompletionCreateParams.builder()
        .model("gpt-test").prompt("Complete this").maxTokens(5).build());
    assertThat(reply.choices().get(0).text()).isEqualTo("a completed sentence");
    assertThat(gw.upstream.upstream().last().path()).isEqualTo("/v1/completions");
    assertThat(gw.upstream.lastBody().get("prompt").asText()).isEqualTo("Complete this");
  }

  @Test
  void streamedTextCompletions() {
    gw.upstream.answer("streamed completion text");
    StringBuilder text = new StringBuilder();
    try (StreamResponse<Completion> stream = client().completions().createStreaming(CompletionCreateParams.builder()
        .model("gpt-test").prompt("Complete this").build())) {
      stream.stream().forEach(c -> c.choices().forEach(ch -> text.append(ch.text())));
    }
    assertThat(text.toString()).isEqualTo("streamed completion text");
  }

  @Test
  void anUpstreamErrorOnAStreamIsAnErrorNotAnEmptyStream() {
    gw.upstream.fail(429, "Rate limit reached").retryAfter("3");
    assertThatThrownBy(() -> {
      try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chat().build())) {
        stream.stream().forEach(c -> { });
      }
    }).isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.headers().values("retry-after")).containsExactly("3"));
  }

  @Test
  void aStreamThatBreaksSurfacesAsAnErrorInTheSdk() {
    gw.upstream.answer("one two three four five").breakAfter(2);
    List<String> seen = new ArrayList<>();
    assertThatThrownBy(() -> {
      try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(chat().build())) {
        stream.stream().forEach(c -> seen.add(c.id()));
      }
    }).isInstanceOf(com.openai.errors.OpenAIException.class);
    assertThat(seen).hasSize(2);
  }

  @Test
  void modelsListAndRetrieve() {
    List<Model> models = client().models().list().data();
    assertThat(models).extracting(Model::id).containsExactly("gpt-test", "embed-test");
    assertThat(client().models().retrieve("gpt-test").id()).isEqualTo("gpt-test");
    assertThatThrownBy(() -> client().models().retrieve("nope")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void badKeyIsUnauthorized() {
    int before = gw.upstream.requestCount();
    assertThatThrownBy(() -> client(gw.gateway.url(), "sk-wrong").chat().completions().create(chat().build()))
        .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(401);
          assertThat(e.getMessage()).doesNotContain(TestGateway.MASTER_KEY);
        });
    assertThat(gw.upstream.requestCount()).isEqualTo(before);
  }

  @Test
  void unknownModelListsTheModels() {
    assertThatThrownBy(() -> client().chat().completions().create(chat().model("gpt-nope").build()))
        .isInstanceOfSatisfying(BadRequestException.class, e -> {
          assertThat(e.getMessage()).contains("gpt-nope").contains("gpt-test").contains("embed-test");
          assertThat(e.param()).contains("model");
        });
  }

  @Test
  void upstreamRateLimitKeepsRetryAfter() {
    gw.upstream.fail(429, "Rate limit reached for gpt-4o in organization org-x on requests per min (RPM)").retryAfter("7");
    assertThatThrownBy(() -> client().chat().completions().create(chat().build()))
        .isInstanceOfSatisfying(RateLimitException.class, e -> {
          assertThat(e.headers().values("retry-after")).containsExactly("7");
          assertThat(e.getMessage()).contains("Rate limit reached for gpt-4o");
        });
  }

  @Test
  void upstreamServerErrorMessagePassesThrough() {
    gw.upstream.fail(500, "The server had an error while processing your request. Sorry about that!");
    assertThatThrownBy(() -> client().chat().completions().create(chat().build()))
        .isInstanceOfSatisfying(InternalServerException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(500);
          assertThat(e.getMessage()).contains("The server had an error while processing your request");
        });
  }
}
