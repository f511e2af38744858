package dev.tollgate.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.json.Json;
import dev.tollgate.provider.anthropic.AnthropicWire;

/**
 * An Anthropic Messages request as an OpenAI chat request, for models that are not Anthropic's:
 * {@code system} becomes the first message, tool_use/tool_result blocks become tool_calls and
 * {@code tool} messages, images become {@code image_url} parts.
 */
final class MessagesRequest {
  private MessagesRequest() {}

  static ObjectNode toOpenAi(JsonNode in) {
    ObjectNode out = Json.object().put("model", in.path("model").asText());
    ArrayNode messages = out.putArray("messages");
    JsonNode system = in.get("system");
    if (system != null && !system.isNull()) {
      String text = system.isTextual() ? system.asText() : joinText(system);
      if (!text.isEmpty()) {
        messages.addObject().put("role", "system").put("content", text);
      }
    }
    int i = 0;
    for (JsonNode m : in.path("messages")) {
      String role = m.path("role").asText();
      if (!role.equals("user") && !role.equals("assistant")) {
        throw invalid("messages." + i + ".role: must be \"user\" or \"assistant\" (system prompts go in the top-level system)");
      }
      JsonNode content = m.get("content");
      if (content != null && content.isTextual()) {
        messages.addObject().put("role", role).put("content", content.asText());
      } else if (role.equals("assistant")) {
        assistant(content, messages);
      } else {
        user(content, messages);
      }
      i++;
    }
    if (in.has("max_tokens")) {
      out.set("max_tokens", in.get("max_tokens"));
    }
    for (String p : new String[] {"temperature", "top_p"}) {
      if (in.hasNonNull(p)) {
        out.set(p, in.get(p));
      }
    }
    if (in.path("stop_sequences").isArray() && !in.get("stop_sequences").isEmpty()) {
      out.set("stop", in.get("stop_sequences"));
    }
    if (in.path("metadata").path("user_id").isTextual()) {
      out.put("user", in.get("metadata").get("user_id").asText());
    }
    tools(in, out);
    if (in.path("stream").asBoolean(false)) {
      out.put("stream", true);
      out.putObject("stream_options").put("include_usage", true); // message_delta reports usage at the end
    }
    if (in.has("mock_response")) {
      out.set("mock_response", in.get("mock_response"));
    }
    return out;
  }

  private static void tools(JsonNode in, ObjectNode out) {
    ArrayNode tools = Json.MAPPER.createArrayNode();
    for (JsonNode t : in.path("tools")) {
      if (!t.has("input_schema")) {
        continue; // Anthropic's server tools (web search, code execution) have no OpenAI equivalent
      }
      ObjectNode fn = tools.addObject().put("type", "function").putObject("function").put("name", t.path("name").asText());
      if (t.hasNonNull("description")) {
        fn.put("description", t.get("description").asText());
      }
      fn.set("parameters", t.get("input_schema"));
    }
    if (tools.isEmpty()) {
      return;
    }
    out.set("tools", tools);
    JsonNode choice = in.get("tool_choice");
    if (choice == null || !choice.isObject()) {
      return;
    }
    switch (choice.path("type").asText()) {
      case "any" -> out.put("tool_choice", "required");
      case "none" -> out.put("tool_choice", "none");
      case "tool" -> out.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.path("name").asText());
      default -> out.put("tool_choice", "auto");
    }
    if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
      out.put("parallel_tool_calls", false);
    }
  }

  private static void assistant(JsonNode content, ArrayNode messages) {
    StringBuilder text = new StringBuilder();
    ArrayNode calls = Json.MAPPER.createArrayNode();
    for (JsonNode block : content == null ? Json.MAPPER.createArrayNode() : content) {
      switch (block.path("type").asText()) {
        case "text" -> text.append(block.path("text").asText());
        case "tool_use" -> AnthropicWire.addToolCall(calls, block);
        default -> { } // thinking blocks are Anthropic-signed and mean nothing to another model
      }
    }
    AnthropicWire.setContentAndToolCalls(messages.addObject().put("role", "assistant"), text, calls);
  }

  /** Tool results first (as {@code tool} messages, right after the assistant's calls), then the rest as one user message. */
  private static void user(JsonNode content, ArrayNode messages) {
    ArrayNode parts = Json.MAPPER.createArrayNode();
    for (JsonNode block : content == null ? Json.MAPPER.createArrayNode() : content) {
      switch (block.path("type").asText()) {
        case "text" -> parts.addObject().put("type", "text").put("text", block.path("text").asText());
        case "image" -> parts.addObject().put("type", "image_url").putObject("image_url").put("url", url(block.path("source")));
        case "document" -> {
          JsonNode source = block.path("source");
          if (source.path("type").asText().equals("text")) {
            parts.addObject().put("type", "text").put("text", source.path("data").asText());
          } else {
            parts.addObject().put("type", "file").putObject("file").put("file_data", url(source));
          }
        }
        case "tool_result" -> {
          JsonNode c = block.get("content");
          String text = c == null || c.isNull() ? "" : c.isTextual() ? c.asText() : joinText(c);
          messages.addObject().put("role", "tool").put("tool_call_id", block.path("tool_use_id").asText())
              .put("content", block.path("is_error").asBoolean(false) ? "Error: " + text : text);
        }
        default -> { }
      }
    }
    if (!parts.isEmpty()) {
      if (parts.size() == 1 && parts.get(0).path("type").asText().equals("text")) {
        messages.addObject().put("role", "user").put("content", parts.get(0).path("text").asText());
      } else {
        messages.addObject().put("role", "user").set("content", parts);
      }
    }
  }

  /** A base64 source as a data URL, a url source as its URL. */
  private static String url(JsonNode source) {
    if (source.path("type").asText().equals("base64")) {
      return "data:" + source.path("media_type").asText() + ";base64," + source.path("data").asText();
    }
    return source.path("url").asText();
  }

  private static String joinText(JsonNode blocks) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode b : blocks) {
      if (b.path("type").asText().equals("text")) {
        if (!sb.isEmpty()) {
          sb.append('\n');
        }
        sb.append(b.path("text").asText());
      }
    }
    return sb.toString();
  }

  private static ApiException invalid(String message) {
    return new ApiException(ApiError.badRequest(message, null));
  }
}
