package dev.tollgate.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.SseTranslatingDecoder;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamErrors;
import dev.tollgate.provider.WireFormat;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/** Gemini responses, stream events and embeddings as OpenAI's (AI Studio and Vertex share them). */
final class GeminiResponses implements WireFormat {
  private final String name;

  GeminiResponses(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Buffer completeResponse(UpstreamCall call, Buffer upstreamBody) {
    JsonNode json = OpenAiShapes.parseUpstream(name, upstreamBody);
    String model = json.path("modelVersion").asText(call.deployment().upstreamModel());
    if (call.endpoint() == Endpoint.EMBEDDINGS) {
      return Json.buffer(embeddings(call, json, model));
    }
    JsonNode candidate = json.path("candidates").path(0);
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    ArrayNode toolCalls = Json.MAPPER.createArrayNode();
    for (JsonNode part : candidate.path("content").path("parts")) {
      if (part.has("functionCall")) {
        JsonNode fc = part.get("functionCall");
        toolCalls.add(OpenAiShapes.toolCall(callId(fc), fc.path("name").asText(), fc.path("args").toString()));
      } else if (part.path("thought").asBoolean(false)) {
        reasoning.append(part.path("text").asText());
      } else if (part.has("text")) {
        text.append(part.get("text").asText());
      }
    }
    String finish = finishReason(candidate.path("finishReason").asText(
        json.path("promptFeedback").has("blockReason") ? "SAFETY" : "STOP"), !toolCalls.isEmpty());
    ObjectNode body = OpenAiShapes.completion(json.path("responseId").asText(OpenAiShapes.newId("chatcmpl-")), model,
        OpenAiShapes.assistantMessage(text.toString(), reasoning.toString(), toolCalls), finish, usage(json.get("usageMetadata")));
    return Json.buffer(body);
  }

  private static ObjectNode embeddings(UpstreamCall call, JsonNode json, String model) {
    List<JsonNode> vectors = new ArrayList<>();
    long tokens = 0;
    if (json.has("predictions")) {
      for (JsonNode p : json.get("predictions")) {
        vectors.add(p.path("embeddings").path("values"));
        tokens += p.path("embeddings").path("statistics").path("token_count").asLong(0);
      }
    } else {
      json.path("embeddings").forEach(e -> vectors.add(e.path("values")));
      tokens = TokenEstimate.ofRequest(call.body());
    }
    return OpenAiShapes.embeddings(call.body(), model, vectors, tokens);
  }

  static String callId(JsonNode functionCall) {
    return functionCall.hasNonNull("id") ? functionCall.get("id").asText() : OpenAiShapes.newId("call_");
  }

  static String finishReason(String gemini, boolean toolCalls) {
    return switch (gemini) {
      case "MAX_TOKENS" -> "length";
      case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY" -> "content_filter";
      default -> toolCalls ? "tool_calls" : "stop";
    };
  }

  /** {@code usageMetadata} as OpenAI usage; thoughts count as completion (reasoning) tokens, as OpenAI counts them. */
  static ObjectNode usage(JsonNode meta) {
    if (meta == null || !meta.isObject()) {
      return null;
    }
    long thoughts = meta.path("thoughtsTokenCount").asLong(0);
    return OpenAiShapes.usage(meta.path("promptTokenCount").asLong(0), meta.path("candidatesTokenCount").asLong(0) + thoughts,
        meta.path("cachedContentTokenCount").asLong(0), thoughts);
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    return new Decoder(name, call.deployment().upstreamModel());
  }

  /** {@code streamGenerateContent?alt=sse}: every event is a whole GenerateContentResponse with the new parts. */
  private static final class Decoder extends SseTranslatingDecoder {
    private int toolIndex;

    Decoder(String provider, String model) {
      super(provider, model);
    }

    @Override
    protected void event(String event, Buffer data) {
      JsonNode json = parse(data);
      if (json == null) {
        return;
      }
      if (json.has("error")) {
        out.error(UpstreamErrors.fromResponse(provider, json.path("error").path("code").asInt(500), null, data));
        return;
      }
      if (json.has("usageMetadata")) {
        usage = usage(json.get("usageMetadata"));
      }
      JsonNode candidate = json.path("candidates").path(0);
      for (JsonNode part : candidate.path("content").path("parts")) {
        if (part.has("functionCall")) {
          JsonNode fc = part.get("functionCall");
          writer.toolCall(out, toolIndex++, callId(fc), fc.path("name").asText(), fc.path("args").toString());
        } else if (part.path("thought").asBoolean(false)) {
          writer.reasoning(out, part.path("text").asText());
        } else if (part.has("text")) {
          writer.text(out, part.get("text").asText());
        }
      }
      String finish = candidate.path("finishReason").asText(json.path("promptFeedback").has("blockReason") ? "SAFETY" : "");
      if (!finish.isEmpty() && !writer.finished()) {
        writer.finish(out, finishReason(finish, toolIndex > 0));
      }
    }
  }
}
