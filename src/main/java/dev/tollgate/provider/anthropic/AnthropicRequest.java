package dev.tollgate.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.RequestParams;
import dev.tollgate.provider.UpstreamException;
import java.util.Set;

/** An OpenAI chat request as Anthropic's Messages request. */
final class AnthropicRequest {
  /** Used when the client sets no {@code max_tokens} (Anthropic requires one). */
  static final int DEFAULT_MAX_TOKENS = 4096;

  /** The OpenAI parameters that have a Messages equivalent (plus Anthropic's own that clients pass through). */
  static final Set<String> SUPPORTED = Set.of(
      "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop",
      "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls", "response_format", "user",
      "reasoning_effort", "thinking", "n");

  private AnthropicRequest() {}

  static ObjectNode fromOpenAi(ObjectNode in, String upstreamModel, boolean dropParams) {
    RequestParams.enforceSupported(in, SUPPORTED, dropParams, "Anthropic");
    if (in.path("n").asInt(1) != 1) {
      throw new UpstreamException(400, "invalid_request_error", "Anthropic does not support n > 1", "n", "unsupported_params", null);
    }
    ObjectNode out = Json.object().put("model", upstreamModel);
    ArrayNode system = Json.MAPPER.createArrayNode();
    out.set("messages", messages(in.path("messages"), system));
    if (!system.isEmpty()) {
      out.set("system", system);
    }
    boolean capped = in.hasNonNull("max_completion_tokens") || in.hasNonNull("max_tokens");
    int maxTokens = in.path("max_completion_tokens").asInt(in.path("max_tokens").asInt(DEFAULT_MAX_TOKENS));
    copy(in, out, "temperature", "top_p", "top_k");
    JsonNode stop = in.get("stop");
    if (stop != null && stop.isTextual()) {
      out.putArray("stop_sequences").add(stop.asText());
    } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
      out.set("stop_sequences", stop);
    }
    if (in.path("user").isTextual()) {
      out.putObject("metadata").put("user_id", in.get("user").asText());
    }
    tools(in, out);
    JsonNode thinking = in.get("thinking");
    if (thinking == null && in.path("reasoning_effort").isTextual()) {
      int budget = switch (in.get("reasoning_effort").asText()) {
        case "none" -> 0;
        case "medium" -> 2048;
        case "high" -> 4096;
        default -> 1024; // minimal, low
      };
      if (budget > 0) {
        thinking = Json.object().put("type", "enabled").put("budget_tokens", budget);
      }
    }
    if (thinking != null && !thinking.isNull()) {
      out.set("thinking", thinking);
      // Anthropic requires max_tokens > budget_tokens; a client's own cap is kept (a cap below the
      // budget gets Anthropic's 400): raising it would raise what the call may cost
      if (!capped) {
        maxTokens = thinking.path("budget_tokens").asInt(0) + DEFAULT_MAX_TOKENS;
      }
    }
    out.put("max_tokens", maxTokens);
    if (in.path("stream").asBoolean(false)) {
      out.put("stream", true);
    }
    return out;
  }

  /** Whether the client asked for JSON (answered by a forced {@link AnthropicWire#JSON_TOOL}). */
  static boolean jsonMode(JsonNode openAiRequest) {
    String type = openAiRequest.path("response_format").path("type").asText("");
    return type.equals("json_object") || type.equals("json_schema");
  }

  private static void tools(ObjectNode in, ObjectNode out) {
    ArrayNode tools = Json.MAPPER.createArrayNode();
    for (JsonNode t : in.path("tools")) {
      JsonNode fn = t.get("function");
      if (!"function".equals(t.path("type").asText("function")) || fn == null) {
        tools.add(t); // Anthropic's own tool types (computer use, web search, ...) as given
        continue;
      }
      ObjectNode tool = tools.addObject().put("name", fn.path("name").asText());
      if (fn.hasNonNull("description")) {
        tool.put("description", fn.get("description").asText());
      }
      JsonNode schema = fn.get("parameters");
      tool.set("input_schema", schema != null && schema.isObject() ? schema : Json.object().put("type", "object").set("properties", Json.object()));
      if (t.has("cache_control")) {
        tool.set("cache_control", t.get("cache_control"));
      }
    }
    ObjectNode choice = toolChoice(in.get("tool_choice"));
    if (jsonMode(in)) {
      JsonNode schema = in.path("response_format").path("json_schema").get("schema");
      ObjectNode tool = tools.addObject().put("name", AnthropicWire.JSON_TOOL)
          .put("description", "Respond with a JSON object.");
      tool.set("input_schema", schema != null && schema.isObject() ? schema
          : Json.object().put("type", "object").put("additionalProperties", true));
      choice = Json.object().put("type", "tool").put("name", AnthropicWire.JSON_TOOL);
    }
    if (tools.isEmpty()) {
      return;
    }
    out.set("tools", tools);
    if (in.path("parallel_tool_calls").isBoolean() && !in.get("parallel_tool_calls").asBoolean()) {
      if (choice == null) {
        choice = Json.object().put("type", "auto");
      }
      if (!"none".equals(choice.path("type").asText())) {
        choice.put("disable_parallel_tool_use", true);
      }
    }
    if (choice != null) {
      out.set("tool_choice", choice);
    }
  }

  private static ObjectNode toolChoice(JsonNode c) {
    if (c == null || c.isNull()) {
      return null;
    }
    if (c.isTextual()) {
      return switch (c.asText()) {
        case "required" -> Json.object().put("type", "any");
        case "none" -> Json.object().put("type", "none");
        default -> Json.object().put("type", "auto");
      };
    }
    String name = c.path("function").path("name").asText(null);
    return name != null ? Json.object().put("type", "tool").put("name", name) : (ObjectNode) c;
  }

  /** Messages with system prompts lifted out, tool results as user blocks, same-role neighbours merged. */
  private static ArrayNode messages(JsonNode in, ArrayNode system) {
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (JsonNode m : in) {
      String role = m.path("role").asText();
      switch (role) {
        case "system", "developer" -> system.addAll(cacheControl(m, contentBlocks(m.get("content"))));
        case "assistant" -> append(out, "assistant", cacheControl(m, assistantBlocks(m)));
        case "tool", "function" -> {
          ObjectNode result = Json.object().put("type", "tool_result")
              .put("tool_use_id", m.path("tool_call_id").asText(m.path("name").asText()));
          JsonNode content = m.get("content");
          if (content != null && content.isArray()) {
            result.set("content", contentBlocks(content));
          } else {
            result.put("content", content == null || content.isNull() ? "" : content.asText());
          }
          append(out, "user", Json.MAPPER.createArrayNode().add(result));
        }
        default -> append(out, "user", cacheControl(m, contentBlocks(m.get("content"))));
      }
    }
    return out;
  }

  /** A {@code cache_control} on a whole message (LiteLLM's shorthand) goes on its last block, where Anthropic takes it. */
  private static ArrayNode cacheControl(JsonNode message, ArrayNode blocks) {
    if (message.has("cache_control") && !blocks.isEmpty()) {
      ((ObjectNode) blocks.get(blocks.size() - 1)).set("cache_control", message.get("cache_control"));
    }
    return blocks;
  }

  private static ArrayNode assistantBlocks(JsonNode m) {
    ArrayNode blocks = Json.MAPPER.createArrayNode();
    for (JsonNode tb : m.path("thinking_blocks")) {
      blocks.add(tb); // signed thinking must go back unchanged for tool use with extended thinking
    }
    blocks.addAll(contentBlocks(m.get("content")));
    for (JsonNode call : m.path("tool_calls")) {
      JsonNode fn = call.path("function");
      ObjectNode use = blocks.addObject().put("type", "tool_use").put("id", call.path("id").asText())
          .put("name", fn.path("name").asText());
      use.set("input", AnthropicWire.toolInput(fn.path("arguments").asText("")));
    }
    return blocks;
  }

  /** OpenAI content (a string or parts) as Anthropic content blocks; empty text is left out (Anthropic refuses it). */
  private static ArrayNode contentBlocks(JsonNode content) {
    ArrayNode blocks = Json.MAPPER.createArrayNode();
    if (content == null || content.isNull()) {
      return blocks;
    }
    if (content.isTextual()) {
      if (!content.asText().isEmpty()) {
        blocks.addObject().put("type", "text").put("text", content.asText());
      }
      return blocks;
    }
    for (JsonNode part : content) {
      ObjectNode block = switch (part.path("type").asText()) {
        case "text" -> part.path("text").asText().isEmpty() ? null
            : Json.object().put("type", "text").put("text", part.path("text").asText());
        case "image_url" -> image(part.path("image_url").isTextual() ? part.path("image_url").asText()
            : part.path("image_url").path("url").asText());
        case "file" -> document(part.path("file").path("file_data").asText(""));
        default -> part.isObject() ? ((ObjectNode) part).deepCopy() : null; // Anthropic-native blocks as given
      };
      if (block == null) {
        continue;
      }
      if (part.has("cache_control")) {
        block.set("cache_control", part.get("cache_control"));
      }
      blocks.add(block);
    }
    return blocks;
  }

  private static ObjectNode image(String url) {
    ObjectNode block = Json.object().put("type", "image");
    block.set("source", source(url));
    return block;
  }

  private static ObjectNode document(String dataUrl) {
    ObjectNode block = Json.object().put("type", "document");
    block.set("source", source(dataUrl));
    return block;
  }

  /** A {@code data:<type>;base64,...} URL as a base64 source, any other URL as a url source. */
  private static ObjectNode source(String url) {
    if (url.startsWith("data:")) {
      int semi = url.indexOf(';');
      int comma = url.indexOf(',');
      if (semi > 5 && comma > semi) {
        return Json.object().put("type", "base64").put("media_type", url.substring(5, semi)).put("data", url.substring(comma + 1));
      }
      throw new UpstreamException(400, "invalid_request_error", "image data URL must look like data:<media type>;base64,<data>", "messages", null, null);
    }
    return Json.object().put("type", "url").put("url", url);
  }

  /** Adds blocks as a message of {@code role}, merged into the previous one when it has the same role. */
  private static void append(ArrayNode out, String role, ArrayNode blocks) {
    if (blocks.isEmpty()) {
      return;
    }
    JsonNode last = out.isEmpty() ? null : out.get(out.size() - 1);
    if (last != null && role.equals(last.path("role").asText())) {
      ((ArrayNode) last.get("content")).addAll(blocks);
      return;
    }
    out.addObject().put("role", role).set("content", blocks);
  }

  private static void copy(ObjectNode in, ObjectNode out, String... names) {
    for (String n : names) {
      if (in.hasNonNull(n)) {
        out.set(n, in.get(n));
      }
    }
  }
}
