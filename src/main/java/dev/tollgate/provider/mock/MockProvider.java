package dev.tollgate.provider.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.ReplayedStream;
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * LiteLLM's {@code mock_response}: answers without calling anyone, in OpenAI's exact shapes
 * (streaming included), so a config works with no provider key. A mock response naming an error
 * ({@code litellm.RateLimitError}, ...) fails the call the way that upstream error would.
 */
public final class MockProvider implements Provider {
  public static final MockProvider INSTANCE = new MockProvider();
  private static final MultiMap NO_HEADERS = MultiMap.caseInsensitiveMultiMap();

  private MockProvider() {}

  /** The mock text for a call: the request's {@code mock_response} wins over the deployment's. */
  public static String mockText(UpstreamCall call) {
    JsonNode fromRequest = call.body().get("mock_response");
    if (fromRequest != null && !fromRequest.isNull()) {
      return fromRequest.asText();
    }
    return call.deployment().mockResponse().orElse("");
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    String text = mockText(call);
    UpstreamException error = mockedError(text);
    if (error != null) {
      return Future.failedFuture(error);
    }
    String model = call.body().path("model").asText(call.deployment().modelName());
    int promptTokens = TokenEstimate.ofRequest(call.body());
    int completionTokens = TokenEstimate.ofText(text);
    if (call.endpoint() == Endpoint.EMBEDDINGS) {
      return Future.succeededFuture(new ProviderReply.Complete(Json.buffer(embeddings(call.body(), model, promptTokens)), NO_HEADERS));
    }
    String id = (call.endpoint() == Endpoint.CHAT ? "chatcmpl-" : "cmpl-") + Long.toHexString(ThreadLocalRandom.current().nextLong());
    long created = System.currentTimeMillis() / 1000;
    if (!call.stream()) {
      ObjectNode body = call.endpoint() == Endpoint.CHAT
          ? chatCompletion(id, created, model, text)
          : textCompletion(id, created, model, text);
      body.set("usage", usage(promptTokens, completionTokens));
      return Future.succeededFuture(new ProviderReply.Complete(Json.buffer(body), NO_HEADERS));
    }
    boolean includeUsage = call.body().path("stream_options").path("include_usage").asBoolean(false);
    return Future.succeededFuture(new ProviderReply.Streaming(
        new ReplayedStream(streamChunks(call.endpoint(), id, created, model, text, includeUsage, promptTokens, completionTokens)), NO_HEADERS));
  }

  private static UpstreamException mockedError(String text) {
    return switch (text) {
      case "litellm.RateLimitError" -> new UpstreamException(429, "rate_limit_error", "mock: rate limit reached", null, "429", java.time.Duration.ofSeconds(1));
      case "litellm.InternalServerError" -> UpstreamException.of(500, "mock: internal server error");
      case "litellm.ContextWindowExceededError" -> new UpstreamException(400, "invalid_request_error", "mock: context window exceeded", null, "context_length_exceeded", null);
      case "litellm.ContentPolicyViolationError" -> new UpstreamException(400, "invalid_request_error", "mock: content policy violation", null, "content_policy_violation", null);
      case "litellm.Timeout" -> UpstreamException.timeout("mock: request timed out");
      case "litellm.AuthenticationError" -> UpstreamException.of(401, "mock: invalid API key");
      default -> null;
    };
  }

  private static ObjectNode chatCompletion(String id, long created, String model, String text) {
    ObjectNode body = Json.object().put("id", id).put("object", "chat.completion").put("created", created).put("model", model);
    ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", text);
    choice.putNull("logprobs");
    choice.put("finish_reason", "stop");
    body.putNull("system_fingerprint");
    return body;
  }

  private static ObjectNode textCompletion(String id, long created, String model, String text) {
    ObjectNode body = Json.object().put("id", id).put("object", "text_completion").put("created", created).put("model", model);
    body.putArray("choices").addObject().put("text", text).put("index", 0).putNull("logprobs").put("finish_reason", "stop");
    return body;
  }

  private static ObjectNode usage(int prompt, int completion) {
    return Json.object().put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
  }

  private static List<Buffer> streamChunks(Endpoint endpoint, String id, long created, String model, String text,
      boolean includeUsage, int promptTokens, int completionTokens) {
    List<Buffer> chunks = new ArrayList<>();
    List<String> pieces = splitWords(text);
    boolean chat = endpoint == Endpoint.CHAT;
    for (int i = 0; i < pieces.size(); i++) {
      chunks.add(Json.buffer(chunk(chat, id, created, model, i == 0, pieces.get(i), null)));
    }
    chunks.add(Json.buffer(chunk(chat, id, created, model, pieces.isEmpty(), null, "stop")));
    if (includeUsage) {
      ObjectNode last = Json.object().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
          .put("created", created).put("model", model);
      last.putArray("choices");
      last.set("usage", usage(promptTokens, completionTokens));
      chunks.add(Json.buffer(last));
    }
    return chunks;
  }

  private static ObjectNode chunk(boolean chat, String id, long created, String model, boolean first, String text, String finish) {
    ObjectNode c = Json.object().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
        .put("created", created).put("model", model);
    ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
    if (chat) {
      ObjectNode delta = choice.putObject("delta");
      if (first) {
        delta.put("role", "assistant");
      }
      if (text != null) {
        delta.put("content", text);
      }
    } else {
      choice.put("text", text == null ? "" : text);
    }
    choice.putNull("logprobs");
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    return c;
  }

  /** Words with their following space, so the chunks concatenate back to the text. */
  private static List<String> splitWords(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == ' ') {
        out.add(text.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      out.add(text.substring(start));
    }
    return out;
  }

  /** Eight numbers per input, derived from its text: the same input always gets the same vector. */
  private static ObjectNode embeddings(JsonNode request, String model, int promptTokens) {
    JsonNode input = request.get("input");
    int count = input != null && input.isArray() && (input.isEmpty() || !input.get(0).isNumber()) ? input.size() : 1;
    List<JsonNode> vectors = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String text = input != null && input.isArray() ? input.get(i).toString() : String.valueOf(input);
      ArrayNode vector = Json.MAPPER.createArrayNode();
      int seed = text.hashCode();
      for (int k = 0; k < 8; k++) {
        vector.add(((seed >> k) & 0xff) / 255.0);
      }
      vectors.add(vector);
    }
    return OpenAiShapes.embeddings(request, model, vectors, promptTokens);
  }
}
