package dev.tollgate.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.ScriptedOpenAi;
import dev.tollgate.testing.StreamedChat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An OpenAI-compatible server that refuses fields it does not know, as older vLLM does with stream_options. */
class StrictUpstreamTest {
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(
      upstream -> upstream.onPost("/v1/chat/completions", ScriptedOpenAi.refusingStreamOptions(
          "{\"object\":\"error\",\"message\":\"[{'type': 'extra_forbidden', 'loc': ('body', 'stream_options'), "
              + "'msg': 'Extra inputs are not permitted'}]\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}",
          ScriptedOpenAi.answer("Strictly speaking", null, "stop"))),
      url -> """
          litellm_settings:
            num_retries: 0
          model_list:
            - model_name: strict
              litellm_params:
                model: hosted_vllm/some-model
                api_base: URL/v1
          """.replace("URL", url));

  @Test
  void streamsStillWorkAndTheUsageChunkIsEstimated() {
    // stream_options the client sent are refused to the client, as by the server itself
    assertThatThrownBy(() -> stream(true)).isInstanceOf(BadRequestException.class).hasMessageContaining("extra_forbidden");
    // those the gateway added to count tokens are dropped, and the deployment remembered
    assertThat(stream(false)).isEqualTo("Strictly speaking|usage -1");
    int afterFirst = gw.upstream.received().size();
    // "Strictly speaking": 17 characters, about 5 tokens
    assertThat(stream(true)).isEqualTo("Strictly speaking|usage 5");
    assertThat(gw.upstream.received().size()).isEqualTo(afterFirst + 1);
    assertThat(gw.upstream.last().body().toString()).doesNotContain("stream_options");
  }

  private static String stream(boolean includeUsage) {
    ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model("strict").addUserMessage("Hi");
    if (includeUsage) {
      params.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
    }
    StreamedChat read = StreamedChat.read(gw.openAiSdk().chat().completions().createStreaming(params.build()));
    return read.text() + "|usage " + read.lastUsage().map(u -> u.completionTokens()).orElse(-1L);
  }
}
