package dev.tollgate.provider.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.NdjsonParser;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.RequestParams;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.provider.TranslatingDecoder;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamErrors;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.WireFormat;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Ollama: {@code ollama_chat/} speaks {@code /api/chat} (messages, tools), {@code ollama/} speaks
 * {@code /api/generate} (one prompt); both stream NDJSON and embed with {@code /api/embed}.
 */
public final class OllamaProvider implements Provider, WireFormat {
  private static final Set<String> COMMON = Set.of("model", "messages", "stream", "stream_options", "temperature", "top_p",
      "max_tokens", "max_completion_tokens", "stop", "seed", "frequency_penalty", "presence_penalty", "response_format");
  private static final Set<String> CHAT_PARAMS = union(COMMON, Set.of("tools", "tool_choice", "parallel_tool_calls"));
  private static final Set<String> EMBEDDING_PARAMS = Set.of("model", "input", "dimensions", "encoding_format");

  private final ProviderContext ctx;
  private final boolean chatApi;

  private OllamaProvider(ProviderContext ctx, boolean chatApi) {
    this.ctx = ctx;
    this.chatApi = chatApi;
  }

  public static OllamaProvider chat(ProviderContext ctx) {
    return new OllamaProvider(ctx, true);
  }

  public static OllamaProvider generate(ProviderContext ctx) {
    return new OllamaProvider(ctx, false);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> s = new java.util.HashSet<>(a);
    s.addAll(b);
    return Set.copyOf(s);
  }

  @Override
  public String name() {
    return "Ollama";
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    Deployment d = call.deployment();
    ObjectNode body;
    String path;
    try {
      switch (call.endpoint()) {
        case CHAT -> {
          RequestParams.enforceSupported(call.body(), chatApi ? CHAT_PARAMS : COMMON, call.dropParams(), "Ollama " + (chatApi ? "/api/chat" : "/api/generate"));
          body = chatApi ? chatBody(call.body()) : generateBody(call.body());
          path = chatApi ? "/api/chat" : "/api/generate";
        }
        case EMBEDDINGS -> {
          RequestParams.enforceSupported(call.body(), EMBEDDING_PARAMS, call.dropParams(), "Ollama");
          body = Json.object();
          ArrayNode input = body.putArray("input");
          OpenAiShapes.embeddingInputs(call.body()).forEach(input::add);
          if (call.body().hasNonNull("dimensions")) {
            body.set("dimensions", call.body().get("dimensions"));
          }
          path = "/api/embed";
        }
        default -> throw UpstreamException.of(400, "Ollama serves /chat/completions and /embeddings here");
      }
    } catch (UpstreamException e) {
      return Future.failedFuture(e);
    }
    body.put("model", d.upstreamModel());
    MultiMap headers = UpstreamHttp.jsonHeadersWithBearerKey(call);
    headers.set("accept", call.stream() ? "application/x-ndjson" : "application/json");
    return UpstreamHttp.exchange(ctx, call, d.apiBase() + path, headers, Json.buffer(body), this);
  }

  private static ObjectNode chatBody(ObjectNode req) {
    ObjectNode out = common(req);
    ArrayNode messages = out.putArray("messages");
    java.util.Map<String, String> names = OpenAiShapes.toolNamesById(req.get("messages"));
    for (JsonNode m : req.get("messages")) {
      String role = m.path("role").asText();
      ObjectNode msg = messages.addObject().put("role", role.equals("developer") ? "system" : role)
          .put("content", OpenAiShapes.text(m.get("content")));
      images(m.get("content"), msg);
      if (m.has("tool_calls")) {
        ArrayNode calls = msg.putArray("tool_calls");
        for (JsonNode tc : m.get("tool_calls")) {
          ObjectNode fn = calls.addObject().putObject("function").put("name", tc.path("function").path("name").asText());
          fn.set("arguments", OpenAiShapes.arguments(tc));
        }
      }
      if (role.equals("tool")) {
        msg.put("tool_name", names.getOrDefault(m.path("tool_call_id").asText(), ""));
      }
    }
    if (req.has("tools") && !"none".equals(req.path("tool_choice").asText())) {
      out.set("tools", req.get("tools"));
    }
    return out;
  }

  /** {@code /api/generate} takes one prompt: the conversation's turns, the system messages as {@code system}. */
  private static ObjectNode generateBody(ObjectNode req) {
    ObjectNode out = common(req);
    StringBuilder system = new StringBuilder();
    StringBuilder prompt = new StringBuilder();
    for (JsonNode m : req.get("messages")) {
      String role = m.path("role").asText();
      String text = OpenAiShapes.text(m.get("content"));
      if (role.equals("system") || role.equals("developer")) {
        system.append(system.isEmpty() ? "" : "\n").append(text);
      } else {
        prompt.append(prompt.isEmpty() ? "" : "\n\n").append(role.equals("user") ? "" : role + ": ").append(text);
      }
      images(m.get("content"), out);
    }
    out.put("prompt", prompt.toString());
    if (!system.isEmpty()) {
      out.put("system", system.toString());
    }
    return out;
  }

  private static void images(JsonNode content, ObjectNode into) {
    for (OpenAiShapes.Image img : OpenAiShapes.images(content)) {
      if (!img.inline()) {
        throw new UpstreamException(400, "invalid_request_error", "Ollama takes images inline only: send them as data: URLs (base64)",
            "messages", null, null);
      }
      ArrayNode images = into.has("images") ? (ArrayNode) into.get("images") : into.putArray("images");
      images.add(img.base64());
    }
  }

  private static ObjectNode common(ObjectNode req) {
    ObjectNode out = Json.object();
    out.put("stream", req.path("stream").asBoolean(false));
    ObjectNode options = Json.object();
    OpenAiShapes.rename(req, options, "temperature", "temperature", "top_p", "top_p", "seed", "seed",
        "frequency_penalty", "frequency_penalty", "presence_penalty", "presence_penalty");
    OpenAiShapes.limits(req, options, "num_predict", "stop");
    if (!options.isEmpty()) {
      out.set("options", options);
    }
    JsonNode format = req.get("response_format");
    if (format != null && format.isObject()) {
      JsonNode schema = format.path("json_schema").get("schema");
      if (schema != null) {
        out.set("format", schema);
      } else if ("json_object".equals(format.path("type").asText())) {
        out.put("format", "json");
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
      json.path("embeddings").forEach(vectors::add);
      return Json.buffer(OpenAiShapes.embeddings(call.body(), model, vectors,
          json.path("prompt_eval_count").asLong(TokenEstimate.ofRequest(call.body()))));
    }
    JsonNode message = json.path("message");
    String text = chatApi ? message.path("content").asText("") : json.path("response").asText("");
    String reasoning = chatApi ? message.path("thinking").asText("") : json.path("thinking").asText("");
    ArrayNode toolCalls = Json.MAPPER.createArrayNode();
    for (JsonNode tc : message.path("tool_calls")) {
      JsonNode fn = tc.path("function");
      toolCalls.add(OpenAiShapes.toolCall(tc.hasNonNull("id") ? tc.get("id").asText() : OpenAiShapes.newId("call_"),
          fn.path("name").asText(), fn.path("arguments").toString()));
    }
    return Json.buffer(OpenAiShapes.completion(OpenAiShapes.newId("chatcmpl-"), model,
        OpenAiShapes.assistantMessage(text, reasoning, toolCalls), finishReason(json, !toolCalls.isEmpty()), usage(json)));
  }

  private static String finishReason(JsonNode json, boolean toolCalls) {
    return toolCalls ? "tool_calls" : "length".equals(json.path("done_reason").asText()) ? "length" : "stop";
  }

  private static ObjectNode usage(JsonNode json) {
    return OpenAiShapes.usage(json.path("prompt_eval_count").asLong(0), json.path("eval_count").asLong(0), 0, 0);
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    return new TranslatingDecoder(name(), call.deployment().upstreamModel()) {
      private final NdjsonParser parser = new NdjsonParser(this::line);
      private int tools;

      @Override
      protected void feed(Buffer bytes) {
        parser.feed(bytes);
      }

      @Override
      protected void flush() {
        parser.finish();
      }

      private void line(Buffer data) {
        JsonNode json = writer.finished() ? null : parse(data);
        if (json == null) {
          return;
        }
        if (json.has("error")) {
          out.error(UpstreamErrors.fromResponse(name(), 500, null, data));
          return;
        }
        JsonNode message = json.path("message");
        writer.reasoning(out, chatApi ? message.path("thinking").asText("") : json.path("thinking").asText(""));
        writer.text(out, chatApi ? message.path("content").asText("") : json.path("response").asText(""));
        for (JsonNode tc : message.path("tool_calls")) {
          JsonNode fn = tc.path("function");
          writer.toolCall(out, tools++, tc.hasNonNull("id") ? tc.get("id").asText() : OpenAiShapes.newId("call_"),
              fn.path("name").asText(), fn.path("arguments").toString());
        }
        if (json.path("done").asBoolean(false)) {
          usage = usage(json);
          writer.finish(out, finishReason(json, tools > 0));
        }
      }
    };
  }
}
