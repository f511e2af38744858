package dev.tollgate.spend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tollgate.call.Usage;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Deployments;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PricesTest {
  static List<Deployment> deployments(String yaml) {
    return Deployments.fromConfig(ConfigLoader.fromYaml(yaml, "test", new Environment(Map.of("OPENAI_API_KEY", "x", "ANTHROPIC_API_KEY", "x",
        "GROQ_API_KEY", "x"))));
  }

  @Test
  void bundledPricesCoverTheCommonModelsWithCacheAndReasoningParts() {
    Prices prices = Prices.bundled();
    Deployment gpt4o = deployments("model_list: [{model_name: a, litellm_params: {model: openai/gpt-4o}}]").get(0);
    // 1000 prompt (200 cached) + 100 completion at 2.5 / 1.25 / 10 USD per million
    assertThat(prices.cost(gpt4o, new Usage(1000, 100, 200, 0, 0))).isCloseTo(800 * 2.5e-6 + 200 * 1.25e-6 + 100 * 10e-6, within(1e-12));
    Deployment groq = deployments("model_list: [{model_name: g, litellm_params: {model: groq/llama-3.3-70b-versatile}}]").get(0);
    assertThat(prices.of(groq).input()).isEqualTo(0.59e-6);
    for (String model : List.of("claude-sonnet-4-20250514", "gemini/gemini-2.5-flash", "deepseek/deepseek-chat", "mistral/mistral-large-latest",
        "anthropic.claude-3-5-sonnet-20241022-v2:0", "o3-mini")) {
      assertThat(prices.entry("", model)).as(model).isNotNull();
    }
  }

  @Test
  void modelInfoOverridesTheMapAndAnUnknownModelCostsNothingButIsCounted() {
    Prices prices = Prices.bundled();
    List<Deployment> ds = deployments("""
        model_list:
          - {model_name: a, litellm_params: {model: openai/gpt-4o}, model_info: {input_cost_per_token: 1.0, output_cost_per_token: 2.0}}
          - {model_name: b, litellm_params: {model: openai/my-private-model}}
        """);
    assertThat(prices.cost(ds.get(0), new Usage(3, 4, 0, 0, 0))).isEqualTo(11.0);
    assertThat(prices.cost(ds.get(1), new Usage(3, 4, 0, 0, 0))).isZero();
    assertThat(prices.unpricedCalls()).isEqualTo(1);
  }

  /** The names configs use (the README's own examples among them) find their price, not 0. */
  @Test
  void undatedAliasesVertexGeminiBedrockProfilesAndCohereArePriced() {
    Prices prices = Prices.bundled();
    Map<String, Double> inputPrice = Map.of("anthropic/claude-sonnet-4-5", 3e-6, "vertex_ai/gemini-2.0-flash", 1e-7,
        "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", 3e-6, "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", 3e-6,
        "bedrock/converse/anthropic.claude-3-5-sonnet-20241022-v2:0", 3e-6, "cohere/command-r-plus", 2.5e-6);
    inputPrice.forEach((model, price) -> {
      Deployment d = deployments("model_list: [{model_name: m, litellm_params: {model: \"" + model + "\", api_key: x, api_base: http://h, "
          + "vertex_project: p, aws_access_key_id: a, aws_secret_access_key: s, aws_region_name: us-east-1}}]").get(0);
      assertThat(prices.of(d).input()).as(model).isEqualTo(price);
    });
  }
}
