package dev.tollgate.provider.cohere;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.RequestParams;
import dev.tollgate.provider.SseTranslatingDecoder;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.WireFormat;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Cohere's v2 API ({@code cohere/}, {@code cohere_chat/}): {@code /v2/chat} with its typed SSE events, and {@code /v2/embed}. */
public final class CohereProvider implements Provider, WireFormat {
  private static final Set<String> CHAT_PARAMS = Set.of("model", "messages", "stream", "stream_options", "temperature", "top_p",
      "max_tokens", "max_completion_tokens", "stop", "seed", "frequency_penalty", "presence_penalty", "tools", "tool_choice",
      "response_format", "parallel_tool_calls");
  private static final Set<String> EMBEDDING_PARAMS = Set.of("model", "input", "dimensions", "encoding_format");

  private final ProviderContext ctx;

  public CohereProvider(ProviderContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String name() {
    return "Cohere";
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    Deployment d = call.deployment();
    ObjectNode body;
    String path;
    try {
      if (call.endpoint() == Endpoint.CHAT) {
        RequestParams.enforceSupported(call.body(), CHAT_PARAMS, call.dropParams(), name());
        body = chat(call.body());
        path = "/v2/chat";
      } else if (call.endpoint() == Endpoint.EMBEDDINGS) {
        RequestParams.enforceSupported(call.body(), EMBEDDING_PARAMS, call.dropParams(), name());
        body = Json.object().put("input_type", "search_document");
        ArrayNode texts = body.putArray("texts");
        OpenAiShapes.embeddingInputs(call.body()).forEach(texts::add);
        body.putArray("embedding_types").add("float");
        if (call.body().hasNonNull("dimensions")) {
          body.set("output_dimension", call.body().get("dimensions"));
        }
        path = "/v2/embed";
      } else {
        throw UpstreamException.of(400, "Cohere serves /chat/completions and /embeddings");
      }
    } catch (UpstreamException e) {
      return Future.failedFuture(e);
    }
    body.put("model", d.upstreamModel());
    return UpstreamHttp.exchange(ctx, call, d.apiBase() + path, UpstreamHttp.jsonHeadersWithBearerKey(call), Json.buffer(body), this);
  }

  /** Cohere v2 messages are close to OpenAI's; the sampling parameters have other names. */
  private static ObjectNode chat(ObjectNode req) {
    ObjectNode out = Json.object();
    ArrayNode messages = out.putArray("messages");
    for (JsonNode m : req.get("messages")) {
      String role = m.path("role").asText();
      ObjectNode msg = messages.addObject().put("role", role.equals("developer") ? "system" : role);
      JsonNode content = m.get("content");
      if (content != null && content.isArray() && role.equals("user")) {
        msg.set("content", content);
      } else if (content != null && !content.isNull()) {
        msg.put("content", OpenAiShapes.text(content));
      }
      if (m.has("tool_calls")) {
        msg.set("tool_calls", m.get("tool_calls"));
      }
      if (m.has("tool_call_id")) {
        msg.set("tool_call_id", m.get("tool_call_id"));
      }
    }
    out.put("stream", req.path("stream").asBoolean(false));
    OpenAiShapes.rename(req, out, "temperature", "temperature", "top_p", "p", "seed", "seed", "frequency_penalty", "frequency_penalty",
        "presence_penalty", "presence_penalty", "tools", "tools");
    OpenAiShapes.limits(req, out, "max_tokens", "stop_sequences");
    JsonNode choice = req.get("tool_choice");
    if (choice != null && choice.isTextual() && (choice.asText().equals("required") || choice.asText().equals("none"))) {
      out.put("tool_choice", choice.asText().toUpperCase());
    } else if (choice != null && choice.isObject()) {
      out.put("tool_choice", "REQUIRED");
    }
    JsonNode format = req.get("response_format");
    if (format != null && format.isObject() && !"text".equals(format.path("type").asText())) {
      ObjectNode f = out.putObject("response_format").put("type", "json_object");
      JsonNode schema = format.path("json_schema").get("schema");
      if (schema != null) {
        f.set("json_schema", schema);
      }
    }
    return out;
  }

  @Override
  public Buffer completeResponse(UpstreamCall call, Buffer upstreamBody) {
    JsonNode json = OpenAiShapes.parseUpstream(name(), upstreamBody);
    String model = call.deployment().upstreamModel();
    if (call.endpoint() == Endpoint.EMBEDDINGS) {
      List<JsonNode> vectors = new ArrayList<>();
      json.path("embeddings").path("float").forEach(vectors::add);
      return Json.buffer(OpenAiShapes.embeddings(call.body(), model, vectors, json.path("meta").path("billed_units").path("input_tokens").asLong(0)));
    }
    JsonNode message = json.path("message");
    StringBuilder text = new StringBuilder();
    StringBuilder thinking = new StringBuilder();
    for (JsonNode block : message.path("content")) {
      if ("thinking".equals(block.path("type").asText())) {
        thinking.append(block.path("thinking").asText());
      } else {
        text.append(block.path("text").asText());
      }
    }
    ArrayNode toolCalls = Json.MAPPER.createArrayNode();
    for (JsonNode tc : message.path("tool_calls")) {
      toolCalls.add(OpenAiShapes.toolCall(tc.path("id").asText(), tc.path("function").path("name").asText(),
          tc.path("function").path("arguments").asText("{}")));
    }
    return Json.buffer(OpenAiShapes.completion(json.path("id").asText(OpenAiShapes.newId("chatcmpl-")), model,
        OpenAiShapes.assistantMessage(text.toString(), thinking.toString(), toolCalls),
        finishReason(json.path("finish_reason").asText()), usage(json.get("usage"))));
  }

  private static String finishReason(String cohere) {
    return switch (cohere) {
      case "MAX_TOKENS" -> "length";
      case "TOOL_CALL" -> "tool_calls";
      case "ERROR" -> "content_filter";
      default -> "stop";
    };
  }

  private static ObjectNode usage(JsonNode u) {
    if (u == null || !u.isObject()) {
      return null;
    }
    // billed_units is what Cohere charges for; tokens also counts what it adds itself (its preamble)
    JsonNode tokens = u.has("billed_units") ? u.get("billed_units") : u.path("tokens");
    return OpenAiShapes.usage(tokens.path("input_tokens").asLong(0), tokens.path("output_tokens").asLong(0), u.path("cached_tokens").asLong(0), 0);
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    return new SseTranslatingDecoder(name(), call.deployment().upstreamModel()) {
      @Override
      protected void event(String event, Buffer data) {
        JsonNode e = parse(data);
        if (e == null) {
          return;
        }
        JsonNode message = e.path("delta").path("message");
        switch (e.path("type").asText(event == null ? "" : event)) {
          case "content-delta" -> {
            JsonNode c = message.path("content");
            writer.reasoning(out, c.path("thinking").asText(""));
            writer.text(out, c.path("text").asText(""));
          }
          case "tool-call-start" -> {
            JsonNode tc = message.path("tool_calls");
            writer.toolCall(out, e.path("index").asInt(), tc.path("id").asText(), tc.path("function").path("name").asText(),
                tc.path("function").path("arguments").asText(""));
          }
          case "tool-call-delta" -> writer.toolCall(out, e.path("index").asInt(), null, null,
              message.path("tool_calls").path("function").path("arguments").asText(""));
          case "message-end" -> {
            usage = usage(e.path("delta").get("usage"));
            writer.finish(out, finishReason(e.path("delta").path("finish_reason").asText()));
          }
          default -> {
            // message-start, content-start/end, tool-plan-delta, tool-call-end, citations
          }
        }
      }
    };
  }
}
