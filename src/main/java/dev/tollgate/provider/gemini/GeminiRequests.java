package dev.tollgate.provider.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.RequestParams;
import dev.tollgate.provider.UpstreamCall;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** OpenAI chat and embedding requests as Gemini's {@code generateContent} / embedding bodies (AI Studio and Vertex). */
final class GeminiRequests {
  static final Set<String> CHAT_PARAMS = Set.of("model", "messages", "stream", "stream_options", "temperature", "top_p",
      "max_tokens", "max_completion_tokens", "stop", "tools", "tool_choice", "parallel_tool_calls", "response_format",
      "seed", "presence_penalty", "frequency_penalty", "reasoning_effort", "functions");
  static final Set<String> EMBEDDING_PARAMS = Set.of("model", "input", "dimensions", "encoding_format");

  private GeminiRequests() {}

  static ObjectNode chat(UpstreamCall call, String provider) {
    ObjectNode req = call.body();
    RequestParams.enforceSupported(req, CHAT_PARAMS, call.dropParams(), provider);
    ObjectNode out = Json.object();
    ArrayNode contents = out.putArray("contents");
    ArrayNode system = Json.MAPPER.createArrayNode();
    JsonNode messages = req.get("messages");
    Map<String, String> toolNames = OpenAiShapes.toolNamesById(messages);
    for (JsonNode m : messages) {
      String role = m.path("role").asText();
      switch (role) {
        case "system", "developer" -> system.addObject().put("text", OpenAiShapes.text(m.get("content")));
        case "assistant" -> {
          ArrayNode parts = partsFor(contents, "model");
          String text = OpenAiShapes.text(m.get("content"));
          if (!text.isEmpty()) {
            parts.addObject().put("text", text);
          }
          for (JsonNode tc : m.path("tool_calls")) {
            ObjectNode fc = parts.addObject().putObject("functionCall");
            fc.put("name", tc.path("function").path("name").asText());
            fc.set("args", OpenAiShapes.arguments(tc));
          }
        }
        case "tool", "function" -> {
          String name = m.hasNonNull("name") ? m.get("name").asText() : toolNames.getOrDefault(m.path("tool_call_id").asText(), "");
          ObjectNode fr = partsFor(contents, "user").addObject().putObject("functionResponse");
          fr.put("name", name);
          fr.set("response", OpenAiShapes.toolResult(m.get("content")));
        }
        default -> {
          ArrayNode parts = partsFor(contents, "user");
          JsonNode content = m.get("content");
          String text = OpenAiShapes.text(content);
          if (!text.isEmpty() || !content.isArray()) {
            parts.addObject().put("text", text);
          }
          for (OpenAiShapes.Image img : OpenAiShapes.images(content)) {
            if (img.inline()) {
              parts.addObject().putObject("inlineData").put("mimeType", img.mimeType()).put("data", img.base64());
            } else {
              parts.addObject().putObject("fileData").put("mimeType", img.mimeType()).put("fileUri", img.url());
            }
          }
        }
      }
    }
    if (!system.isEmpty()) {
      out.putObject("systemInstruction").set("parts", system);
    }
    ObjectNode gen = generationConfig(req);
    if (!gen.isEmpty()) {
      out.set("generationConfig", gen);
    }
    tools(req, out);
    return out;
  }

  /** Consecutive messages of one role become one content (Gemini wants turns to alternate; parallel tool results share one). */
  private static ArrayNode partsFor(ArrayNode contents, String role) {
    JsonNode last = contents.isEmpty() ? null : contents.get(contents.size() - 1);
    if (last != null && role.equals(last.path("role").asText())) {
      return (ArrayNode) last.get("parts");
    }
    ObjectNode c = contents.addObject().put("role", role);
    return c.putArray("parts");
  }

  private static ObjectNode generationConfig(ObjectNode req) {
    ObjectNode gen = Json.object();
    OpenAiShapes.rename(req, gen, "temperature", "temperature", "top_p", "topP", "seed", "seed",
        "presence_penalty", "presencePenalty", "frequency_penalty", "frequencyPenalty");
    OpenAiShapes.limits(req, gen, "maxOutputTokens", "stopSequences");
    JsonNode format = req.get("response_format");
    if (format != null && format.isObject()) {
      String type = format.path("type").asText();
      if (type.equals("json_object") || type.equals("json_schema")) {
        gen.put("responseMimeType", "application/json");
      }
      JsonNode schema = format.path("json_schema").get("schema");
      if (schema != null) {
        gen.set("responseJsonSchema", schema);
      }
    }
    JsonNode effort = req.get("reasoning_effort");
    if (effort != null && effort.isTextual()) {
      int budget = switch (effort.asText()) {
        case "none", "minimal" -> 0;
        case "low" -> 1024;
        case "medium" -> 2048;
        default -> 4096;
      };
      gen.putObject("thinkingConfig").put("thinkingBudget", budget).put("includeThoughts", budget > 0);
    }
    return gen;
  }

  private static void tools(ObjectNode req, ObjectNode out) {
    JsonNode tools = req.get("tools");
    if (tools != null && tools.isArray() && !tools.isEmpty()) {
      ArrayNode decls = out.putArray("tools").addObject().putArray("functionDeclarations");
      for (JsonNode t : tools) {
        JsonNode fn = t.path("function");
        ObjectNode d = decls.addObject().put("name", fn.path("name").asText());
        if (fn.hasNonNull("description")) {
          d.put("description", fn.get("description").asText());
        }
        if (fn.hasNonNull("parameters")) {
          d.set("parameters", schema(fn.get("parameters").deepCopy()));
        }
      }
    }
    JsonNode choice = req.get("tool_choice");
    if (choice != null && !choice.isNull()) {
      ObjectNode cfg = out.putObject("toolConfig").putObject("functionCallingConfig");
      if (choice.isTextual()) {
        cfg.put("mode", switch (choice.asText()) {
          case "none" -> "NONE";
          case "required" -> "ANY";
          default -> "AUTO";
        });
      } else {
        cfg.put("mode", "ANY");
        cfg.putArray("allowedFunctionNames").add(choice.path("function").path("name").asText());
      }
    }
  }

  /** Gemini's function parameters are an OpenAPI subset: JSON Schema keywords it rejects are removed. */
  private static JsonNode schema(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.remove(List.of("additionalProperties", "$schema", "strict"));
      for (Iterator<JsonNode> it = o.elements(); it.hasNext(); ) {
        schema(it.next());
      }
    } else if (node instanceof ArrayNode a) {
      a.forEach(GeminiRequests::schema);
    }
    return node;
  }

  /** AI Studio's {@code batchEmbedContents}: one request per input. */
  static ObjectNode batchEmbed(UpstreamCall call, String provider) {
    ObjectNode req = call.body();
    checkEmbedding(call, provider);
    ObjectNode out = Json.object();
    ArrayNode requests = out.putArray("requests");
    for (String text : OpenAiShapes.embeddingInputs(req)) {
      ObjectNode r = requests.addObject().put("model", "models/" + call.deployment().upstreamModel());
      r.putObject("content").putArray("parts").addObject().put("text", text);
      if (req.hasNonNull("dimensions")) {
        r.put("outputDimensionality", req.get("dimensions").asInt());
      }
    }
    return out;
  }

  /** Vertex's {@code predict} for text embedding models. */
  static ObjectNode predictEmbed(UpstreamCall call, String provider) {
    ObjectNode req = call.body();
    checkEmbedding(call, provider);
    ObjectNode out = Json.object();
    ArrayNode instances = out.putArray("instances");
    OpenAiShapes.embeddingInputs(req).forEach(t -> instances.addObject().put("content", t));
    if (req.hasNonNull("dimensions")) {
      out.putObject("parameters").put("outputDimensionality", req.get("dimensions").asInt());
    }
    return out;
  }

  private static void checkEmbedding(UpstreamCall call, String provider) {
    RequestParams.enforceSupported(call.body(), EMBEDDING_PARAMS, call.dropParams(), provider);
  }
}
