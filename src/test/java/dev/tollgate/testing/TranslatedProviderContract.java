package dev.tollgate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every translating provider must do, driven by the official OpenAI Java SDK through a real
 * gateway against a fake upstream speaking the provider's wire format (see {@link FakeAnswer}).
 * A provider's test extends this with its fake and its config.
 */
public abstract class TranslatedProviderContract {
  protected static final ObjectMapper JSON = new ObjectMapper();
  protected FakeUpstream upstream;
  protected TestGateway gateway;
  protected OpenAIClient client;

  /** Installs the provider's fake on the upstream. */
  protected abstract void installFake(FakeUpstream up);

  /** The {@code litellm_params} lines (indented six spaces) of a deployment of {@code upstreamModel}. */
  protected abstract String litellmParams(String upstreamModel, String upstreamUrl);

  /** Checks the native request of the chat test: system prompt, temperature, max tokens, stop. */
  protected abstract void assertNativeChatRequest(FakeUpstream.Recorded request) throws Exception;

  /** Checks that tool results reached the upstream in its own shape. */
  protected abstract void assertNativeToolResults(FakeUpstream.Recorded request) throws Exception;

  protected Map<String, String> env() {
    return Map.of();
  }

  /** What a provider can do beyond chat and streaming. */
  public enum Feature { TOOLS, EMBEDDINGS, CACHED_TOKENS, REASONING_TOKENS }

  protected Set<Feature> features() {
    return EnumSet.allOf(Feature.class);
  }

  @BeforeEach
  void startAll() {
    upstream = FakeUpstream.start();
    installFake(upstream);
    StringBuilder yaml = new StringBuilder("model_list:\n");
    for (String m : List.of("fake-model", "ratelimit-model", "html-model", "badjson-model", "truncated-model", "wrongtype-model")) {
      yaml.append("  - model_name: ").append(m).append("\n    litellm_params:\n").append(litellmParams(m, upstream.url())).append('\n');
    }
    yaml.append("litellm_settings:\n  num_retries: 0\n");
    gateway = TestGateway.start(yaml.toString(), env());
    client = OpenAIOkHttpClient.builder().baseUrl(gateway.url() + "/v1").apiKey(TestGateway.MASTER_KEY)
        .maxRetries(0).timeout(Duration.ofSeconds(20)).build();
  }

  @AfterEach
  void stopAll() {
    if (gateway != null) {
      gateway.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void chatTranslatesRequestResponseAndUsage() throws Exception {
    ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("fake-model")
        .addSystemMessage("Be brief.").addUserMessage("Tollgate").temperature(0.2).maxCompletionTokens(50).stop("END").build());
    assertThat(c.choices().get(0).message().content()).contains("Hello, Tollgate");
    assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(FakeAnswer.PROMPT_TOKENS);
    assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(FakeAnswer.COMPLETION_TOKENS);
    if (features().contains(Feature.CACHED_TOKENS)) {
      assertThat(c.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens()).contains((long) FakeAnswer.CACHED_TOKENS);
    }
    if (features().contains(Feature.REASONING_TOKENS)) {
      assertThat(c.usage().orElseThrow().completionTokensDetails().orElseThrow().reasoningTokens()).contains((long) FakeAnswer.REASONING_TOKENS);
    }
    assertNativeChatRequest(upstream.last());
  }

  @Test
  void streamingArrivesAsOpenAiChunksWithUsage() {
    StringBuilder text = new StringBuilder();
    List<String> finishes = new ArrayList<>();
    long[] usage = {-1};
    int[] chunks = {0};
    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
        .model("fake-model").addUserMessage("stream me")
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
      s.stream().forEach(chunk -> {
        chunks[0]++;
        chunk.choices().forEach(ch -> {
          ch.delta().content().ifPresent(text::append);
          ch.finishReason().ifPresent(f -> finishes.add(f.asString()));
        });
        chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
      });
    }
    assertThat(text.toString()).isEqualTo("Hello, stream me");
    assertThat(chunks[0]).isGreaterThanOrEqualTo(3);
    assertThat(finishes).containsExactly("stop");
    assertThat(usage[0]).isEqualTo(FakeAnswer.COMPLETION_TOKENS);
  }

  private static ChatCompletionCreateParams.Builder withWeatherTool(ChatCompletionCreateParams.Builder b) {
    return b.addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather")
        .description("Weather of a city").parameters(FunctionParameters.builder()
            .putAdditionalProperty("type", JsonValue.from("object"))
            .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
            .putAdditionalProperty("required", JsonValue.from(List.of("city")))
            .build()).build()).build());
  }

  @Test
  void parallelToolCallsAndToolResultsRoundTrip() throws Exception {
    assumeTrue(features().contains(Feature.TOOLS));
    ChatCompletionCreateParams.Builder ask = withWeatherTool(ChatCompletionCreateParams.builder().model("fake-model")
        .addUserMessage("Weather in Paris and Tokyo?"));
    ChatCompletion first = client.chat().completions().create(ask.build());
    var choice = first.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream()
        .map(tc -> tc.asFunction()).toList();
    assertThat(calls).extracting(tc -> tc.function().name()).containsExactly("get_weather", "get_weather");
    assertThat(calls).extracting(tc -> JSON.readTree(tc.function().arguments()).path("city").asText()).containsExactly("Paris", "Tokyo");
    assertThat(calls).extracting(ChatCompletionMessageFunctionToolCall::id).doesNotHaveDuplicates();

    ask.addMessage(choice.message());
    for (ChatCompletionMessageFunctionToolCall tc : calls) {
      String city = JSON.readTree(tc.function().arguments()).path("city").asText();
      ask.addMessage(ChatCompletionToolMessageParam.builder().toolCallId(tc.id()).content("{\"temp\":\"" + city + "-21C\"}").build());
    }
    ChatCompletion second = client.chat().completions().create(ask.build());
    assertThat(second.choices().get(0).message().content().orElseThrow()).startsWith("Results: ").contains("Paris-21C", "Tokyo-21C");
    assertNativeToolResults(upstream.last());
  }

  @Test
  void streamedToolCallsAssembleIntoTheCalls() throws Exception {
    assumeTrue(features().contains(Feature.TOOLS));
    Map<Long, StringBuilder> args = new TreeMap<>();
    Map<Long, String> names = new TreeMap<>();
    List<String> finishes = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
        withWeatherTool(ChatCompletionCreateParams.builder().model("fake-model").addUserMessage("Weather?")).build())) {
      s.stream().forEach(chunk -> chunk.choices().forEach(ch -> {
        ch.delta().toolCalls().ifPresent(tcs -> tcs.forEach(tc -> {
          tc.function().flatMap(f -> f.name()).ifPresent(n -> names.put(tc.index(), n));
          tc.function().flatMap(f -> f.arguments()).ifPresent(a -> args.computeIfAbsent(tc.index(), k -> new StringBuilder()).append(a));
        }));
        ch.finishReason().ifPresent(f -> finishes.add(f.asString()));
      }));
    }
    assertThat(names.values()).containsExactly("get_weather", "get_weather");
    assertThat(JSON.readTree(args.get(0L).toString()).path("city").asText()).isEqualTo("Paris");
    assertThat(JSON.readTree(args.get(1L).toString()).path("city").asText()).isEqualTo("Tokyo");
    assertThat(finishes).containsExactly("tool_calls");
  }

  @Test
  void embeddings() {
    assumeTrue(features().contains(Feature.EMBEDDINGS));
    CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model("fake-model")
        .inputOfArrayOfStrings(List.of("one", "three")).build());
    assertThat(r.data()).hasSize(2);
    assertThat(r.data().get(0).embedding()).first().isEqualTo(3.0f);
    assertThat(r.data().get(1).embedding()).first().isEqualTo(5.0f);
  }

  @Test
  void imagesTravelInline() {
    String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk";
    HttpResponse<String> r = gateway.post("/v1/chat/completions", "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"what is this\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
        + png + "\"}}]}]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(upstream.last().bodyString()).contains(png, "what is this");
  }

  @Test
  void providerRateLimitBecomesOpenAi429() {
    assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("ratelimit-model")
        .addUserMessage("hi").build())).isInstanceOf(RateLimitException.class);
  }

  @Test
  void unsupportedParameterIsRefusedByNameUnlessDropped() throws Exception {
    HttpResponse<String> refused = gateway.post("/v1/chat/completions",
        "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":{\"1\":2}}");
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(refused.body()).path("error").path("param").asText()).isEqualTo("logit_bias");
    HttpResponse<String> dropped = gateway.post("/v1/chat/completions",
        "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":{\"1\":2},\"drop_params\":true}");
    assertThat(dropped.statusCode()).isEqualTo(200);
    assertThat(upstream.last().bodyString()).doesNotContain("logit_bias");
  }

  @Test
  void htmlErrorPageBecomesCleanOpenAiError() throws Exception {
    assertCleanError(gateway.post("/v1/chat/completions", chat("html-model", false)), 502);
    assertCleanError(gateway.post("/v1/chat/completions", chat("html-model", true)), 502);
  }

  @Test
  void wrongContentTypeBecomesCleanOpenAiError() throws Exception {
    assertCleanError(gateway.post("/v1/chat/completions", chat("wrongtype-model", false)), 502);
    assertCleanError(gateway.post("/v1/chat/completions", chat("wrongtype-model", true)), 502);
  }

  @Test
  void invalidJsonChunkEndsTheStreamWithAnError() throws Exception {
    assertStreamEndsInError(gateway.post("/v1/chat/completions", chat("badjson-model", true)));
  }

  @Test
  void truncatedStreamEndsWithAnError() throws Exception {
    assertStreamEndsInError(gateway.post("/v1/chat/completions", chat("truncated-model", true)));
  }

  protected static String chat(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  protected static void assertCleanError(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode err = JSON.readTree(r.body()).path("error");
    assertThat(err.path("message").asText()).isNotBlank();
    assertThat(err.has("type")).isTrue();
  }

  /** Either refused before the first chunk (an error status) or an SSE error event, never a [DONE]. */
  protected static void assertStreamEndsInError(HttpResponse<String> r) throws Exception {
    if (r.statusCode() != 200) {
      assertCleanError(r, r.statusCode());
      return;
    }
    assertThat(r.body()).doesNotContain("[DONE]");
    String[] events = r.body().strip().split("\n\n");
    JsonNode last = JSON.readTree(events[events.length - 1].substring("data: ".length()));
    assertThat(last.path("error").path("message").asText()).isNotBlank();
  }
}
