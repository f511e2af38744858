package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.testing.TestGateway;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code mock_response}: the quickstart's provider, which must look exactly like OpenAI to a client. */
class MockResponseTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String TEXT = "Hello from the built-in mock provider.";
  static TestGateway gateway;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start("""
        litellm_settings: {num_retries: 0}
        model_list:
          - model_name: demo
            litellm_params: {model: openai/demo, mock_response: "%s"}
          - model_name: limited
            litellm_params: {model: openai/demo, mock_response: litellm.RateLimitError}
          - model_name: demo-embedding
            litellm_params: {model: openai/text-embedding-3-small, mock_response: "mock"}
            model_info: {mode: embedding}
        """.formatted(TEXT));
    client = OpenAiSdkTest.client(gateway.url(), TestGateway.MASTER_KEY);
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  static ChatCompletionCreateParams.Builder chat(String model) {
    return ChatCompletionCreateParams.builder().model(model).addUserMessage("hi");
  }

  @Test
  void chatAndStreamAndUsage() {
    var reply = client.chat().completions().create(chat("demo").build());
    assertThat(reply.choices().get(0).message().content()).contains(TEXT);
    assertThat(reply.usage().orElseThrow().completionTokens()).isPositive();

    StringBuilder text = new StringBuilder();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
        chat("demo").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
      stream.stream().forEach(c -> {
        chunks.add(c);
        c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
      });
    }
    assertThat(text.toString()).isEqualTo(TEXT);
    assertThat(chunks.size()).isGreaterThan(3);
    assertThat(chunks.get(chunks.size() - 1).usage()).isPresent();

    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("demo").build())) {
      assertThat(stream.stream().toList()).allSatisfy(c -> assertThat(c.usage()).isEmpty());
    }
  }

  @Test
  void completionsAndEmbeddings() {
    assertThat(client.completions().create(CompletionCreateParams.builder().model("demo").prompt("p").build())
        .choices().get(0).text()).isEqualTo(TEXT);
    var embeddings = client.embeddings().create(EmbeddingCreateParams.builder().model("demo-embedding")
        .inputOfArrayOfStrings(List.of("a", "b", "c")).build());
    assertThat(embeddings.data()).hasSize(3);
    assertThat(embeddings.data().get(2).embedding()).isNotEmpty();
  }

  /** The OpenAI SDKs for Node and Python ask for base64 by default and decode little-endian float32. */
  @Test
  void embeddingsComeAsBase64WhenAskedAsOpenAiDoes() throws Exception {
    String request = "{\"model\":\"demo-embedding\",\"input\":\"hello\"%s}";
    JsonNode floats = JSON.readTree(gateway.post("/v1/embeddings", request.formatted("")).body()).at("/data/0/embedding");
    JsonNode encoded = JSON.readTree(gateway.post("/v1/embeddings", request.formatted(",\"encoding_format\":\"base64\"")).body())
        .at("/data/0/embedding");
    assertThat(floats.size()).isEqualTo(8);
    assertThat(encoded.isTextual()).as("base64 answer: %s", encoded).isTrue();
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded.asText())).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(bytes.remaining()).isEqualTo(8 * 4);
    for (JsonNode f : floats) {
      assertThat(bytes.getFloat()).isEqualTo(f.floatValue());
    }
  }

  @Test
  void aMockedErrorLooksLikeTheRealOne() {
    assertThatThrownBy(() -> client.chat().completions().create(chat("limited").build()))
        .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.headers().values("retry-after")).isNotEmpty());
  }
}
