package dev.tollgate.provider;

import dev.tollgate.provider.anthropic.AnthropicProvider;
import dev.tollgate.provider.azure.AzureOpenAiProvider;
import dev.tollgate.provider.bedrock.BedrockProvider;
import dev.tollgate.provider.cohere.CohereProvider;
import dev.tollgate.provider.gemini.GeminiProvider;
import dev.tollgate.provider.ollama.OllamaProvider;
import dev.tollgate.provider.openai.OpenAiCompatibleProvider;
import dev.tollgate.provider.vertex.VertexProvider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every provider prefix Tollgate understands in {@code litellm_params.model}, with its defaults.
 * A new wire format is one more {@link ProviderFamily} here: the request path does not change.
 */
public final class ProviderCatalog {
  private static final Map<String, ProviderFamily> FAMILIES = new LinkedHashMap<>();

  /** Prefixes LiteLLM knows that this version of Tollgate does not serve yet (named in errors, used for "did you mean"). */
  private static final Set<String> NOT_YET_SUPPORTED = Set.of(
      "azure_ai", "sagemaker", "huggingface", "replicate", "watsonx", "databricks",
      "ai21", "voyage", "jina_ai", "friendliai", "sambanova", "dashscope", "moonshot", "nebius");

  static {
    ProviderFamily.ProviderFactory openAi = OpenAiCompatibleProvider::new;
    openAiCompatible("openai", openAi, "https://api.openai.com/v1", List.of("OPENAI_API_KEY"), List.of("OPENAI_BASE_URL", "OPENAI_API_BASE"), true);
    openAiCompatible("custom_openai", openAi, null, List.of("OPENAI_API_KEY"), List.of("OPENAI_BASE_URL", "OPENAI_API_BASE"), false);
    openAiCompatible("text-completion-openai", openAi, "https://api.openai.com/v1", List.of("OPENAI_API_KEY"), List.of("OPENAI_BASE_URL", "OPENAI_API_BASE"), true);
    openAiCompatible("hosted_vllm", openAi, null, List.of("HOSTED_VLLM_API_KEY"), List.of("HOSTED_VLLM_API_BASE"), false);
    openAiCompatible("groq", openAi, "https://api.groq.com/openai/v1", List.of("GROQ_API_KEY"), List.of("GROQ_API_BASE"), true);
    openAiCompatible("deepseek", openAi, "https://api.deepseek.com/v1", List.of("DEEPSEEK_API_KEY"), List.of("DEEPSEEK_API_BASE"), true);
    openAiCompatible("mistral", openAi, "https://api.mistral.ai/v1", List.of("MISTRAL_API_KEY"), List.of("MISTRAL_API_BASE"), true);
    openAiCompatible("openrouter", openAi, "https://openrouter.ai/api/v1", List.of("OPENROUTER_API_KEY", "OR_API_KEY"), List.of("OPENROUTER_API_BASE"), true);
    openAiCompatible("together_ai", openAi, "https://api.together.xyz/v1", List.of("TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "TOGETHER_AI_API_KEY"), List.of("TOGETHERAI_API_BASE"), true);
    openAiCompatible("fireworks_ai", openAi, "https://api.fireworks.ai/inference/v1", List.of("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY", "FIREWORKSAI_API_KEY"), List.of("FIREWORKS_AI_API_BASE"), true);
    openAiCompatible("xai", openAi, "https://api.x.ai/v1", List.of("XAI_API_KEY"), List.of("XAI_API_BASE"), true);
    openAiCompatible("deepinfra", openAi, "https://api.deepinfra.com/v1/openai", List.of("DEEPINFRA_API_KEY"), List.of("DEEPINFRA_API_BASE"), true);
    openAiCompatible("cerebras", openAi, "https://api.cerebras.ai/v1", List.of("CEREBRAS_API_KEY"), List.of("CEREBRAS_API_BASE"), true);
    openAiCompatible("perplexity", openAi, "https://api.perplexity.ai", List.of("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"), List.of("PERPLEXITY_API_BASE"), true);
    openAiCompatible("lm_studio", openAi, "http://localhost:1234/v1", List.of("LM_STUDIO_API_KEY"), List.of("LM_STUDIO_API_BASE"), false);
    openAiCompatible("nvidia_nim", openAi, "https://integrate.api.nvidia.com/v1", List.of("NVIDIA_NIM_API_KEY"), List.of("NVIDIA_NIM_API_BASE"), true);
    openAiCompatible("litellm_proxy", openAi, null, List.of("LITELLM_PROXY_API_KEY"), List.of("LITELLM_PROXY_API_BASE"), false);
    register(new ProviderFamily("anthropic", AnthropicProvider::new, "https://api.anthropic.com",
        List.of("ANTHROPIC_API_KEY"), List.of("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"), true));
    register(new ProviderFamily("azure", AzureOpenAiProvider::new, null,
        List.of("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"), List.of("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"), false));
  }

  private ProviderCatalog() {}

  static {
    // providers with their own wire formats: Google, AWS, Ollama, Cohere
    register(new ProviderFamily("gemini", GeminiProvider::new, "https://generativelanguage.googleapis.com/v1beta",
        List.of("GEMINI_API_KEY"), List.of("GEMINI_API_BASE"), true));
    for (String vertex : List.of("vertex_ai", "vertex_ai_beta")) {
      register(new ProviderFamily(vertex, VertexProvider::new, "https://aiplatform.googleapis.com", List.of(), List.of(), false,
          Map.of("vertex_project", List.of("VERTEXAI_PROJECT", "VERTEX_PROJECT"), "vertex_location", List.of("VERTEXAI_LOCATION", "VERTEX_LOCATION"),
              "vertex_credentials", List.of("VERTEXAI_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"))));
    }
    register(new ProviderFamily("bedrock", BedrockProvider::new, "https://bedrock-runtime.us-east-1.amazonaws.com",
        List.of("AWS_BEARER_TOKEN_BEDROCK"), List.of(), false,
        Map.of("aws_access_key_id", List.of("AWS_ACCESS_KEY_ID"), "aws_secret_access_key", List.of("AWS_SECRET_ACCESS_KEY"),
            "aws_session_token", List.of("AWS_SESSION_TOKEN"), "aws_region_name", List.of("AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"),
            "aws_bedrock_runtime_endpoint", List.of("AWS_BEDROCK_RUNTIME_ENDPOINT"))));
    register(new ProviderFamily("ollama", OllamaProvider::generate, "http://localhost:11434", List.of("OLLAMA_API_KEY"), List.of("OLLAMA_API_BASE"), false));
    register(new ProviderFamily("ollama_chat", OllamaProvider::chat, "http://localhost:11434", List.of("OLLAMA_API_KEY"), List.of("OLLAMA_API_BASE"), false));
    for (String cohere : List.of("cohere", "cohere_chat")) {
      register(new ProviderFamily(cohere, CohereProvider::new, "https://api.cohere.com", List.of("COHERE_API_KEY", "CO_API_KEY"), List.of("COHERE_API_BASE"), true));
    }
  }

  private static void openAiCompatible(String name, ProviderFamily.ProviderFactory factory, String base, List<String> keyEnv, List<String> baseEnv, boolean keyRequired) {
    register(new ProviderFamily(name, factory, base, keyEnv, baseEnv, keyRequired));
  }

  /** Adds a family; providers with their own wire formats register here. */
  public static synchronized void register(ProviderFamily family) {
    FAMILIES.put(family.name(), family);
  }

  public static Optional<ProviderFamily> find(String name) {
    return Optional.ofNullable(FAMILIES.get(name));
  }

  public static boolean isKnownButUnsupported(String name) {
    return NOT_YET_SUPPORTED.contains(name) && !FAMILIES.containsKey(name);
  }

  public static List<String> names() {
    return List.copyOf(FAMILIES.keySet());
  }

  /** The closest known prefix to a misspelt one, if it is close enough to be a typo. */
  public static Optional<String> suggest(String name) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : FAMILIES.keySet()) {
      int d = editDistance(name.toLowerCase(), candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    for (String candidate : NOT_YET_SUPPORTED) {
      int d = editDistance(name.toLowerCase(), candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best != null && bestDistance <= Math.max(2, name.length() / 3) ? Optional.of(best) : Optional.empty();
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
