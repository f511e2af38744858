package dev.tollgate.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.ScriptedOpenAi;
import dev.tollgate.testing.StreamedChat;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An OpenAI-compatible server that refuses fields it does not know, as older vLLM does with stream_options. */
class StrictUpstreamTest {
  static FakeUpstream upstream;
  static TestGateway gateway;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    upstream = FakeUpstream.start();
    upstream.onPost("/v1/chat/completions", ScriptedOpenAi.refusingStreamOptions(
        "{\"object\":\"error\",\"message\":\"[{'type': 'extra_forbidden', 'loc': ('body', 'stream_options'), "
            + "'msg': 'Extra inputs are not permitted'}]\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}",
        ScriptedOpenAi.answer("Strictly speaking", null, "stop")));
    gateway = TestGateway.start("""
        litellm_settings:
          num_retries: 0
        model_list:
          - model_name: strict
            litellm_params:
              model: hosted_vllm/some-model
              api_base: URL/v1
        """.replace("URL", upstream.url()));
    client = OpenAIOkHttpClient.builder().baseUrl(gateway.url() + "/v1").apiKey(TestGateway.MASTER_KEY).maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    gateway.close();
    upstream.close();
  }

  @Test
  void streamsStillWorkAndTheUsageChunkIsEstimated() {
    assertThat(stream()).isEqualTo("Strictly speaking|usage 5");
    int afterFirst = upstream.received().size();
    // the deployment is remembered: the next stream goes without stream_options at once
    assertThat(stream()).isEqualTo("Strictly speaking|usage 5");
    assertThat(upstream.received().size()).isEqualTo(afterFirst + 1);
    assertThat(upstream.last().body().toString()).doesNotContain("stream_options");
  }

  private static String stream() {
    StreamedChat read = StreamedChat.read(client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
        .model("strict").addUserMessage("Hi").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build()));
    // "Strictly speaking": 17 characters, about 5 tokens
    return read.text() + "|usage " + read.lastUsage().map(u -> u.completionTokens()).orElse(-1L);
  }
}
