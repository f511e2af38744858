package dev.tollgate.testing;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link FakeUpstream} with the handlers a test class gives it, a {@link TestGateway} in front
 * of it and the official SDK clients of that gateway, for a whole test class:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(
 *     upstream -> upstream.onPost("/v1/chat/completions", ScriptedOpenAi.answer("Hi", null, "stop")),
 *     url -> """
 *         model_list:
 *           - model_name: m
 *             litellm_params: {model: hosted_vllm/m, api_base: "%s/v1"}
 *         """.formatted(url));
 * ... gw.openAiSdk().chat().completions().create(...); gw.upstream.last()
 * }</pre>
 */
public final class GatewayOnFakeUpstream implements BeforeAllCallback, AfterAllCallback {
  private final Consumer<FakeUpstream> handlers;
  private final Function<String, String> yamlForUrl;
  private final Function<String, Map<String, String>> envForUrl;
  public FakeUpstream upstream;
  public TestGateway gateway;
  private OpenAIClient openAiSdk;
  private AnthropicClient anthropicSdk;

  public GatewayOnFakeUpstream(Consumer<FakeUpstream> handlers, Function<String, String> yamlForUrl) {
    this(handlers, yamlForUrl, url -> Map.of());
  }

  /** {@code yamlForUrl} and {@code envForUrl} turn the fake's URL into the gateway's config and environment. */
  public GatewayOnFakeUpstream(Consumer<FakeUpstream> handlers, Function<String, String> yamlForUrl,
      Function<String, Map<String, String>> envForUrl) {
    this.handlers = handlers;
    this.yamlForUrl = yamlForUrl;
    this.envForUrl = envForUrl;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    upstream = FakeUpstream.start();
    handlers.accept(upstream);
    gateway = TestGateway.start(yamlForUrl.apply(upstream.url()), envForUrl.apply(upstream.url()));
  }

  /** The OpenAI SDK on the gateway's {@code /v1} with the master key, no retries. */
  public synchronized OpenAIClient openAiSdk() {
    if (openAiSdk == null) {
      openAiSdk = OpenAIOkHttpClient.builder().baseUrl(gateway.url() + "/v1").apiKey(TestGateway.MASTER_KEY).maxRetries(0).build();
    }
    return openAiSdk;
  }

  /** The Anthropic SDK on the gateway with the master key, no retries. */
  public synchronized AnthropicClient anthropicSdk() {
    if (anthropicSdk == null) {
      anthropicSdk = AnthropicOkHttpClient.builder().baseUrl(gateway.url()).apiKey(TestGateway.MASTER_KEY).maxRetries(0).build();
    }
    return anthropicSdk;
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    try {
      if (openAiSdk != null) {
        openAiSdk.close();
      }
      if (anthropicSdk != null) {
        anthropicSdk.close();
      }
      if (gateway != null) {
        gateway.close();
      }
    } finally {
      upstream.close();
    }
  }
}
