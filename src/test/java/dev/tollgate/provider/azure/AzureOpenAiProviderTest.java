package dev.tollgate.provider.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.ScriptedOpenAi;
import dev.tollgate.testing.StreamedChat;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official OpenAI SDK through the gateway to a fake Azure OpenAI resource. */
class AzureOpenAiProviderTest {
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(AzureOpenAiProviderTest::deployments, url -> """
      litellm_settings:
        num_retries: 0
      model_list:
        - model_name: gpt-4o
          litellm_params:
            model: azure/prod-gpt4o
            api_base: URL
            api_key: azure-key-1
            api_version: "2024-06-01"
          model_info:
            base_model: azure/gpt-4o
        - model_name: current
          litellm_params:
            model: azure/current-gpt4o
            api_base: URL
            api_key: azure-key-1
        - model_name: entra
          litellm_params:
            model: azure/entra-gpt
            api_base: URL
            azure_ad_token: eyJ-entra-token
        - model_name: throttled
          litellm_params:
            model: azure/throttled
        - model_name: embed
          litellm_params:
            model: azure/embed-small
      """.replace("URL", url),
      url -> Map.of("AZURE_API_KEY", "azure-env-key", "AZURE_API_BASE", url, "AZURE_API_VERSION", "2025-01-01-preview"));

  private static void deployments(FakeUpstream upstream) {
    // like Azure before api-version 2024-09-01-preview: stream_options is refused
    upstream.onPost("/openai/deployments/prod-gpt4o/chat/completions", ScriptedOpenAi.refusingStreamOptions(
        "{\"error\":{\"code\":null,\"message\":\"Unrecognized request argument supplied: stream_options\","
            + "\"param\":null,\"type\":\"invalid_request_error\"}}",
        ScriptedOpenAi.answer("Hello from Azure", null, "stop")));
    upstream.onPost("/openai/deployments/current-gpt4o/chat/completions", ScriptedOpenAi.answer("Hello from Azure", null, "stop"));
    upstream.onPost("/openai/deployments/entra-gpt/chat/completions", ScriptedOpenAi.answer("Hi with a token", null, "stop"));
    upstream.onPost("/openai/deployments/throttled/chat/completions", rc -> rc.response().setStatusCode(429)
        .putHeader("retry-after", "7").putHeader("content-type", "application/json")
        .end("{\"error\":{\"code\":\"429\",\"message\":\"Requests to the ChatCompletions_Create Operation have exceeded the rate limit.\"}}"));
    upstream.onPost("/openai/deployments/embed-small/embeddings", rc -> rc.response().putHeader("content-type", "application/json")
        .end("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]}],"
            + "\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}"));
  }

  @Test
  void chatGoesToTheDeploymentPathWithApiVersionAndApiKey() {
    ChatCompletion reply = gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder()
        .model("gpt-4o").addUserMessage("Hi").build());
    assertThat(reply.choices().get(0).message().content()).hasValue("Hello from Azure");

    FakeUpstream.Recorded sent = gw.upstream.last();
    assertThat(sent.path()).isEqualTo("/openai/deployments/prod-gpt4o/chat/completions");
    assertThat(sent.query()).isEqualTo("api-version=2024-06-01");
    assertThat(sent.headers().get("api-key")).isEqualTo("azure-key-1");
    assertThat(sent.headers().get("authorization")).isNull();
  }

  @Test
  void streamsRelayChunkByChunk() {
    String text;
    try (StreamResponse<ChatCompletionChunk> stream = gw.openAiSdk().chat().completions().createStreaming(ChatCompletionCreateParams.builder()
        .model("gpt-4o").addUserMessage("Hi").build())) {
      text = stream.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content().orElse("")).collect(Collectors.joining());
    }
    assertThat(text).isEqualTo("Hello from Azure");
    assertThat(gw.upstream.last().query()).isEqualTo("api-version=2024-06-01");
  }

  @Test
  void anApiVersionBeforeStreamOptionsStillStreamsAndGetsAnEstimatedUsageChunk() {
    StreamedChat read = StreamedChat.read(gw.openAiSdk().chat().completions().createStreaming(ChatCompletionCreateParams.builder()
        .model("gpt-4o").addUserMessage("Hi there, how are you today?")
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build()));
    assertThat(read.text()).isEqualTo("Hello from Azure");
    assertThat(gw.upstream.last().body().toString()).doesNotContain("stream_options");
    var usage = read.lastUsage().orElseThrow();
    assertThat(usage.completionTokens()).isEqualTo(4); // "Hello from Azure": 16 characters, about 4 a token
    assertThat(usage.promptTokens()).isPositive();
    assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + 4);
    String raw = gw.gateway.post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"stream\":true,"
        + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body();
    String usageChunk = raw.lines().filter(l -> l.contains("\"usage\":{")).findFirst().orElseThrow();
    assertThat(usageChunk).as("the content filter's first chunk has no id: the usage chunk takes the answer's")
        .contains("\"id\":\"chatcmpl-fake\"").contains("\"object\":\"chat.completion.chunk\"").doesNotContain("\"model\":\"\"");
  }

  @Test
  void aCurrentApiVersionIsAskedForTheUsageChunk() {
    try (StreamResponse<ChatCompletionChunk> stream = gw.openAiSdk().chat().completions().createStreaming(ChatCompletionCreateParams.builder()
        .model("current").addUserMessage("Hi").build())) {
      assertThat(stream.stream().count()).isPositive();
    }
    assertThat(gw.upstream.last().query()).isEqualTo("api-version=2025-01-01-preview");
    assertThat(gw.upstream.last().body().toString()).contains("\"stream_options\":{\"include_usage\":true}");
  }

  @Test
  void streamOptionsDependOnTheApiVersion() {
    assertThat(AzureOpenAiProvider.acceptsStreamOptions("2024-06-01")).isFalse();
    assertThat(AzureOpenAiProvider.acceptsStreamOptions("2024-08-01-preview")).isFalse();
    assertThat(AzureOpenAiProvider.acceptsStreamOptions("2024-09-01-preview")).isTrue();
    assertThat(AzureOpenAiProvider.acceptsStreamOptions("2024-10-21")).isTrue();
    assertThat(AzureOpenAiProvider.acceptsStreamOptions("preview")).isTrue();
  }

  @Test
  void anEntraIdTokenIsSentAsBearerInsteadOfTheKey() {
    gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder().model("entra").addUserMessage("Hi").build());
    FakeUpstream.Recorded sent = gw.upstream.last();
    assertThat(sent.headers().get("authorization")).isEqualTo("Bearer eyJ-entra-token");
    assertThat(sent.headers().get("api-key")).isNull();
  }

  @Test
  void keyBaseAndVersionComeFromTheAzureEnvironmentVariables() {
    var reply = gw.openAiSdk().embeddings().create(EmbeddingCreateParams.builder().model("embed").input("hello").build());
    assertThat(reply.data().get(0).embedding()).containsExactly(0.1f, 0.2f);
    FakeUpstream.Recorded sent = gw.upstream.last();
    assertThat(sent.path()).isEqualTo("/openai/deployments/embed-small/embeddings");
    assertThat(sent.query()).isEqualTo("api-version=2025-01-01-preview");
    assertThat(sent.headers().get("api-key")).isEqualTo("azure-env-key");
  }

  @Test
  void azureThrottlingIsA429WithItsRetryAfter() {
    assertThatThrownBy(() -> gw.openAiSdk().chat().completions().create(ChatCompletionCreateParams.builder()
        .model("throttled").addUserMessage("Hi").build()))
        .isInstanceOfSatisfying(RateLimitException.class, e -> {
          assertThat(e.getMessage()).contains("Azure OpenAI error").contains("exceeded the rate limit");
          assertThat(e.headers().values("retry-after")).containsExactly("7");
        });
  }
}
