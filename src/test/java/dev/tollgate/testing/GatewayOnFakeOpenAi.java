package dev.tollgate.testing;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link FakeOpenAi} and a {@link TestGateway} in front of it for a whole test class, the fake
 * reset to healthy before each test:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GatewayOnFakeOpenAi gw = new GatewayOnFakeOpenAi(apiBase -> """
 *     model_list:
 *       - model_name: m
 *         litellm_params: {model: openai/gpt-4o, api_base: "%s", api_key: sk-up}
 *     """.formatted(apiBase));
 * ... gw.upstream.fail(500, "boom"); gw.gateway.post(...)
 * }</pre>
 */
public final class GatewayOnFakeOpenAi implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {
  private final Function<String, String> yamlForApiBase;
  private final Map<String, String> env;
  public FakeOpenAi upstream;
  public TestGateway gateway;

  public GatewayOnFakeOpenAi(Function<String, String> yamlForApiBase) {
    this(yamlForApiBase, Map.of());
  }

  /** {@code yamlForApiBase} turns the fake's {@code api_base} into the config; {@code env} is the gateway's environment. */
  public GatewayOnFakeOpenAi(Function<String, String> yamlForApiBase, Map<String, String> env) {
    this.yamlForApiBase = yamlForApiBase;
    this.env = env;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    upstream = FakeOpenAi.start();
    gateway = TestGateway.start(yamlForApiBase.apply(upstream.apiBase()), env);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    upstream.reset();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      if (gateway != null) {
        gateway.close();
      }
    } finally {
      upstream.close();
    }
  }
}
