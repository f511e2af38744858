package dev.tollgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tollgate.Gateway;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Deployments;
import dev.tollgate.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/** A wrong config.yaml stops start-up with one line naming the YAML path, the value and what is expected. */
class ConfigErrorsTest {

  /** The message of the ConfigException that starting a gateway with this YAML throws. */
  static String startError(String yaml) {
    Throwable[] thrown = new Throwable[1];
    assertThatThrownBy(() -> TestGateway.start(yaml).close()).isInstanceOfSatisfying(ConfigException.class, e -> thrown[0] = e);
    String message = thrown[0].getMessage();
    assertThat(message).doesNotContain("\n");
    return message;
  }

  static String model(String params) {
    return """
        model_list:
          - model_name: m
            litellm_params: %s
        """.formatted(params);
  }

  /** {@code --drop_params} on the command line stands for litellm_settings.drop_params: true, over the file. */
  @Test
  void theDropParamsFlagWinsOverTheFile() {
    GatewayConfig cfg = ConfigLoader.fromYaml(model("{model: openai/gpt-4o}") + "litellm_settings: {drop_params: false}\n", "test",
        new Environment(Map.of("OPENAI_API_KEY", "x")));
    assertThat(Deployments.fromConfig(cfg).get(0).dropParams()).isFalse();
    cfg.setLitellmSetting("drop_params", true);
    assertThat(Deployments.fromConfig(cfg).get(0).dropParams()).isTrue();
  }

  @Test
  void misspeltProviderGetsASuggestion() {
    assertThat(startError(model("{model: opnai/gpt-4o}")))
        .isEqualTo("model_list[0].litellm_params.model: unknown provider \"opnai\" (did you mean \"openai\"?)");
    assertThat(startError(model("{model: openai/gpt-4o}") + """
          - model_name: second
            litellm_params: {model: qrog/llama3}
        """)).isEqualTo("model_list[1].litellm_params.model: unknown provider \"qrog\" (did you mean \"groq\"?)");
  }

  @Test
  void aModelWithoutProviderIsOpenAiOnlyWhenItLooksLikeOne() {
    assertThat(deployments(model("{model: gpt-4o-mini}")).get(0).apiBase()).isEqualTo("https://api.openai.com/v1");
    assertThat(startError(model("{model: llama3}"))).startsWith("model_list[0].litellm_params.model: \"llama3\" names no provider");
  }

  @Test
  void missingFile(@TempDir Path dir) {
    Path file = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(file, new Environment(Map.of())))
        .isInstanceOf(ConfigException.class).hasMessage(file + ": config file not found");
  }

  @Test
  void notYaml(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.yaml"), "model_list:\n  - model_name: a\n   litellm_params: [\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, new Environment(Map.of())))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith(file + ": not valid YAML at line ")
        .satisfies(e -> assertThat(e.getMessage()).as("one line").doesNotContain("\n"));
    Path list = Files.writeString(dir.resolve("list.yaml"), "- a\n- b\n");
    assertThatThrownBy(() -> ConfigLoader.load(list, new Environment(Map.of())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("expected a YAML mapping at the top level");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      model_list: {a: 1}                                                              | model_list: a mapping is not valid (expected a list)
      model_list: [{litellm_params: {model: openai/x}}]                               | model_list[0].model_name: missing (the name clients send as "model")
      model_list: [{model_name: m}]                                                   | model_list[0].litellm_params: missing (a mapping with at least "model")
      model_list: [{model_name: m, litellm_params: {model: openai/x, timeout: soon}}] | model_list[0].litellm_params.timeout: "soon" is not valid (expected a number)
      model_list: [{model_name: m, litellm_params: {model: openai/x, timeout: 0}}]    | model_list[0].litellm_params.timeout: 0 is not valid (expected a number of seconds > 0)
      model_list: [{model_name: m, litellm_params: {model: openai/x, rpm: 2.5}}]      | model_list[0].litellm_params.rpm: 2.5 is not valid (expected a whole number)
      model_list: [{model_name: m, litellm_params: {model: openai/x, extra_headers: [a]}}] | model_list[0].litellm_params.extra_headers: a list is not valid (expected a mapping)
      model_list: [{model_name: m, litellm_params: {model: openai/x, api_base: 'localhost:8000'}}] | model_list[0].litellm_params.api_base: "localhost:8000" is not valid (expected an http:// or https:// URL)
      model_list: [{model_name: m, litellm_params: {model: openai/x, api_base: 'http://u:p@ss@h:1/v1'}}] | model_list[0].litellm_params.api_base: not a valid URL: no host can be read from it (write an @ inside a user name or password as %40)
      model_list: [{model_name: m, litellm_params: {model: hosted_vllm/qwen}}]        | model_list[0].litellm_params.api_base: missing: provider "hosted_vllm" has no default endpoint, set api_base (e.g. http://localhost:8000/v1)
      general_settings: {max_request_size_mb: big}                                    | general_settings.max_request_size_mb: "big" is not valid (expected a number)
      general_settings: {master_key: hunter2}                                         | general_settings.master_key: the master key must start with "sk-" (as in LiteLLM)
      litellm_settings: {num_retries: -1}                                             | litellm_settings.num_retries: -1 is not valid (expected a whole number >= 0)
      litellm_settings: {drop_params: maybe}                                          | litellm_settings.drop_params: "maybe" is not valid (expected true or false)
      litellm_settings: [1]                                                           | litellm_settings: a list is not valid (expected a mapping)
      """)
  void wrongValuesNameTheirPath(String yaml, String expected) {
    assertThat(startError(yaml)).isEqualTo(expected);
  }

  @Test
  void settingsNobodyReadsAreListedAsIgnored() {
    Logger gatewayLog = (Logger) LoggerFactory.getLogger(Gateway.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    gatewayLog.addAppender(logs);
    try (TestGateway g = TestGateway.start(model("{model: openai/x, api_base: 'http://127.0.0.1:9/v1', rpm: 10, not_a_litellm_param: 1}") + """
        litellm_settings:
          drop_params: true
          a_future_litellm_setting: ["x"]
          success_callback: ["langfuse", "prometheus"]
          callbacks: ["datadog"]
          cache: true
          cache_params: {type: local, ttl: 60, ssl: true}
        general_settings:
          alerting: ["slack"]
        mystery_section: {a: 1}
        """)) {
      List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("ignored")).toList();
      assertThat(lines).anySatisfy(l -> assertThat(l).contains("litellm_settings.a_future_litellm_setting"))
          .anySatisfy(l -> assertThat(l).contains("general_settings.alerting"))
          .anySatisfy(l -> assertThat(l).contains("mystery_section"))
          .anySatisfy(l -> assertThat(l).contains("model_list[0].litellm_params.not_a_litellm_param"))
          .anySatisfy(l -> assertThat(l).contains("litellm_settings.success_callback: langfuse"))
          .anySatisfy(l -> assertThat(l).contains("litellm_settings.callbacks: datadog"))
          .anySatisfy(l -> assertThat(l).contains("litellm_settings.cache_params.ssl"));
      assertThat(String.join("\n", lines)).doesNotContain("drop_params", ".rpm", ".api_base", "litellm_params.model ", "prometheus",
          "cache_params.ttl", "cache_params.type");
    } finally {
      gatewayLog.detachAppender(logs);
    }
  }

  @Test
  void aFallbackToAModelThatDoesNotExistIsNamedAtStart() {
    Logger routerLog = (Logger) LoggerFactory.getLogger(dev.tollgate.router.Router.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    routerLog.addAppender(logs);
    try (TestGateway g = TestGateway.start(model("{model: openai/x, api_base: 'http://127.0.0.1:9/v1'}") + """
        router_settings:
          fallbacks: [{"m": ["m-typo", "m"]}]
        """)) {
      List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(lines).anySatisfy(l -> assertThat(l).contains("fallbacks: m falls back to \"m-typo\", which is not a model_name"));
      assertThat(String.join("\n", lines)).doesNotContain("\"m\", which");
    } finally {
      routerLog.detachAppender(logs);
    }
  }

  @Test
  void environmentVariablesSectionFeedsOsEnvironReferences() {
    Deployment d = deployments("""
        environment_variables:
          MY_UPSTREAM_KEY: sk-from-section
          MY_BASE: http://10.0.0.1:8000/v1
        model_list:
          - model_name: m
            litellm_params: {model: openai/x, api_key: os.environ/MY_UPSTREAM_KEY, api_base: os.environ/MY_BASE}
        """).get(0);
    assertThat(d.apiKey()).isEqualTo("sk-from-section");
    assertThat(d.apiBase()).isEqualTo("http://10.0.0.1:8000/v1");
  }

  /** Each OpenAI-compatible prefix: its provider's documented endpoint, and the key from its usual variable. */
  @ParameterizedTest
  @CsvSource({
      "openai,       https://api.openai.com/v1,               OPENAI_API_KEY",
      "groq,         https://api.groq.com/openai/v1,          GROQ_API_KEY",
      "deepseek,     https://api.deepseek.com/v1,             DEEPSEEK_API_KEY",
      "mistral,      https://api.mistral.ai/v1,               MISTRAL_API_KEY",
      "openrouter,   https://openrouter.ai/api/v1,            OPENROUTER_API_KEY",
      "together_ai,  https://api.together.xyz/v1,             TOGETHERAI_API_KEY",
      "fireworks_ai, https://api.fireworks.ai/inference/v1,   FIREWORKS_AI_API_KEY",
      "xai,          https://api.x.ai/v1,                     XAI_API_KEY",
      "deepinfra,    https://api.deepinfra.com/v1/openai,     DEEPINFRA_API_KEY",
      "cerebras,     https://api.cerebras.ai/v1,              CEREBRAS_API_KEY",
      "perplexity,   https://api.perplexity.ai,               PERPLEXITYAI_API_KEY",
      "lm_studio,    http://localhost:1234/v1,                LM_STUDIO_API_KEY",
  })
  void openAiCompatiblePrefixesHaveTheirDefaults(String prefix, String apiBase, String keyVariable) {
    Deployment d = deployments(model("{model: " + prefix + "/some-model}"), Map.of(keyVariable, "key-of-" + prefix)).get(0);
    assertThat(d.apiBase()).isEqualTo(apiBase);
    assertThat(d.apiKey()).isEqualTo("key-of-" + prefix);
    assertThat(d.upstreamModel()).isEqualTo("some-model");
  }

  @Test
  void hostedVllmTakesItsBaseUrlAndKeyFromTheEnvironment() {
    Deployment d = deployments(model("{model: hosted_vllm/Qwen/Qwen2.5-7B-Instruct}"),
        Map.of("HOSTED_VLLM_API_BASE", "http://vllm:8000/v1/", "HOSTED_VLLM_API_KEY", "vllm-key")).get(0);
    assertThat(d.apiBase()).isEqualTo("http://vllm:8000/v1");
    assertThat(d.apiKey()).isEqualTo("vllm-key");
    assertThat(d.upstreamModel()).isEqualTo("Qwen/Qwen2.5-7B-Instruct");
  }

  @Test
  void timeoutsDefaultToLiteLlmsRequestTimeoutAndFollowIt() {
    assertThat(deployments(model("{model: openai/x, api_key: k}")).get(0).timeout()).isEqualTo(java.time.Duration.ofSeconds(6000));
    assertThat(deployments(model("{model: openai/x, api_key: k}") + "litellm_settings: {request_timeout: 30}\n").get(0).timeout())
        .isEqualTo(java.time.Duration.ofSeconds(30));
  }

  static List<Deployment> deployments(String yaml) {
    return deployments(yaml, Map.of());
  }

  static List<Deployment> deployments(String yaml, Map<String, String> env) {
    return Deployments.fromConfig(ConfigLoader.fromYaml(yaml, "test", new Environment(env)));
  }
}
