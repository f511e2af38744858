package dev.tollgate.ingress.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.OpenAiShapes;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/** A Gemini {@code generateContent} request as an OpenAI chat request. */
final class GeminiToOpenAi {
  private GeminiToOpenAi() {}

  static ObjectNode request(JsonNode gemini, String model, boolean stream) {
    ObjectNode out = Json.object().put("model", model);
    ArrayNode messages = out.putArray("messages");
    StringBuilder system = new StringBuilder();
    for (JsonNode p : gemini.path("systemInstruction").path("parts")) {
      system.append(p.path("text").asText());
    }
    if (!system.isEmpty()) {
      messages.addObject().put("role", "system").put("content", system.toString());
    }
    // Gemini pairs calls and responses by name and order; OpenAI by id: ids are made up here and matched in order.
    Map<String, ArrayDeque<String>> openCalls = new HashMap<>();
    int callCount = 0;
    JsonNode contents = gemini.path("contents");
    if (contents.isObject()) {
      contents = Json.MAPPER.createArrayNode().add(contents);
    }
    for (JsonNode c : contents) {
      boolean model_ = "model".equals(c.path("role").asText());
      ArrayNode content = Json.MAPPER.createArrayNode();
      ArrayNode toolCalls = Json.MAPPER.createArrayNode();
      for (JsonNode part : c.path("parts")) {
        if (part.has("text") && !part.path("thought").asBoolean(false)) {
          content.addObject().put("type", "text").put("text", part.get("text").asText());
        } else if (part.has("inlineData")) {
          JsonNode d = part.get("inlineData");
          content.addObject().put("type", "image_url").putObject("image_url")
              .put("url", "data:" + d.path("mimeType").asText() + ";base64," + d.path("data").asText());
        } else if (part.has("fileData")) {
          content.addObject().put("type", "image_url").putObject("image_url").put("url", part.get("fileData").path("fileUri").asText());
        } else if (part.has("functionCall")) {
          JsonNode fc = part.get("functionCall");
          String id = fc.hasNonNull("id") ? fc.get("id").asText() : "call_" + (++callCount);
          openCalls.computeIfAbsent(fc.path("name").asText(), k -> new ArrayDeque<>()).add(id);
          ObjectNode tc = toolCalls.addObject().put("id", id).put("type", "function");
          tc.putObject("function").put("name", fc.path("name").asText()).put("arguments", fc.path("args").isMissingNode() ? "{}" : fc.get("args").toString());
        } else if (part.has("functionResponse")) {
          JsonNode fr = part.get("functionResponse");
          ArrayDeque<String> ids = openCalls.get(fr.path("name").asText());
          String id = fr.hasNonNull("id") ? fr.get("id").asText() : ids != null && !ids.isEmpty() ? ids.poll() : "call_" + (++callCount);
          messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", fr.path("response").toString());
        }
      }
      if (content.isEmpty() && toolCalls.isEmpty()) {
        continue;
      }
      ObjectNode m = messages.addObject().put("role", model_ ? "assistant" : "user");
      if (content.isEmpty()) {
        m.putNull("content");
      } else if (content.size() == 1 && content.get(0).has("text")) {
        m.put("content", content.get(0).get("text").asText());
      } else {
        m.set("content", content);
      }
      if (!toolCalls.isEmpty()) {
        m.set("tool_calls", toolCalls);
      }
    }
    generationConfig(gemini.path("generationConfig"), out);
    tools(gemini, out);
    if (stream) {
      out.put("stream", true);
      out.putObject("stream_options").put("include_usage", true);
    }
    return out;
  }

  private static void generationConfig(JsonNode g, ObjectNode out) {
    OpenAiShapes.rename(g, out, "temperature", "temperature", "topP", "top_p", "maxOutputTokens", "max_tokens", "seed", "seed",
        "presencePenalty", "presence_penalty", "frequencyPenalty", "frequency_penalty", "stopSequences", "stop");
    JsonNode schema = g.has("responseJsonSchema") ? g.get("responseJsonSchema") : g.get("responseSchema");
    if (schema != null) {
      ObjectNode f = out.putObject("response_format").put("type", "json_schema");
      f.putObject("json_schema").put("name", "response").set("schema", lowerTypes(schema.deepCopy()));
    } else if ("application/json".equals(g.path("responseMimeType").asText())) {
      out.putObject("response_format").put("type", "json_object");
    }
  }

  private static void tools(JsonNode gemini, ObjectNode out) {
    ArrayNode tools = Json.MAPPER.createArrayNode();
    for (JsonNode t : gemini.path("tools")) {
      for (JsonNode d : t.path("functionDeclarations")) {
        ObjectNode fn = tools.addObject().put("type", "function").putObject("function").put("name", d.path("name").asText());
        if (d.hasNonNull("description")) {
          fn.put("description", d.get("description").asText());
        }
        JsonNode params = d.has("parametersJsonSchema") ? d.get("parametersJsonSchema") : d.get("parameters");
        if (params != null) {
          fn.set("parameters", lowerTypes(params.deepCopy()));
        }
      }
    }
    if (tools.isEmpty()) {
      return;
    }
    out.set("tools", tools);
    JsonNode cfg = gemini.path("toolConfig").path("functionCallingConfig");
    JsonNode allowed = cfg.path("allowedFunctionNames");
    switch (cfg.path("mode").asText("AUTO")) {
      case "NONE" -> out.put("tool_choice", "none");
      case "ANY" -> {
        if (allowed.size() == 1) {
          out.putObject("tool_choice").put("type", "function").putObject("function").put("name", allowed.get(0).asText());
        } else {
          out.put("tool_choice", "required");
        }
      }
      default -> { }
    }
  }

  /** Gemini's schemas spell types in capitals ({@code OBJECT}); JSON Schema in lower case. */
  private static JsonNode lowerTypes(JsonNode node) {
    if (node instanceof ObjectNode o) {
      JsonNode type = o.get("type");
      if (type != null && type.isTextual()) {
        o.put("type", type.asText().toLowerCase(Locale.ROOT));
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getKey().equals("type")) {
          lowerTypes(e.getValue());
        }
      }
    } else if (node instanceof ArrayNode a) {
      a.forEach(GeminiToOpenAi::lowerTypes);
    }
    return node;
  }
}
