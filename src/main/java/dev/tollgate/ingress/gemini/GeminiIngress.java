package dev.tollgate.ingress.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.ChunkStream;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.server.GatewayVerticle;
import dev.tollgate.server.ReplyWriter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.TreeMap;

/**
 * Gemini's API in front of any model: {@code POST /v1beta/models/{model}:generateContent} and
 * {@code :streamGenerateContent} (SSE with {@code ?alt=sse}, else a streamed JSON array), translated
 * to OpenAI, sent down the usual path, and answered in Gemini's shapes. The key may come as
 * {@code x-goog-api-key} or {@code ?key=}, as Google's clients send it.
 */
public final class GeminiIngress implements GatewayVerticle.RouteContributor {
  private static final String ROUTE = "/v1(?:beta)?/models/(?<model>[^:/]+(?:/[^:/]+)?):(?<method>generateContent|streamGenerateContent)";

  @Override
  public void register(Router web, GatewayVerticle.RouteSupport support) {
    web.postWithRegex(ROUTE).handler(support.body()).handler(GeminiIngress::keyFromQuery).handler(support.llmApi())
        .handler(rc -> handle(rc, support));
  }

  /** {@code ?key=} is how Google's REST examples authenticate; the auth handler reads headers. */
  public static void keyFromQuery(RoutingContext rc) {
    String key = rc.request().getParam("key");
    if (key != null && rc.request().getHeader("x-goog-api-key") == null) {
      rc.request().headers().set("x-goog-api-key", key);
    }
    rc.next();
  }

  private static void handle(RoutingContext rc, GatewayVerticle.RouteSupport support) {
    long start = System.nanoTime();
    boolean stream = rc.pathParam("method").equals("streamGenerateContent");
    Writer writer = new Writer("sse".equals(rc.request().getParam("alt")));
    JsonNode body = Json.tryParse(rc.body().buffer());
    if (body == null || !body.isObject()) {
      writer.fail(rc.response(), ApiError.badRequest("Invalid JSON payload received: expected a GenerateContentRequest object", null));
      return;
    }
    String model = rc.pathParam("model");
    if (model.startsWith("models/")) {
      model = model.substring("models/".length());
    }
    ObjectNode openAi;
    try {
      openAi = GeminiToOpenAi.request(body, model, stream);
    } catch (RuntimeException e) {
      writer.fail(rc.response(), ApiError.badRequest("Invalid GenerateContentRequest: " + e.getMessage(), null));
      return;
    }
    support.dispatcher().dispatch(rc, Endpoint.CHAT, openAi, writer, start);
  }

  /** Answers one call in Gemini's format. */
  private static final class Writer implements ReplyWriter {
    private final boolean sse;

    Writer(boolean sse) {
      this.sse = sse;
    }

    @Override
    public void reply(HttpServerResponse response, ProxyCall call, ProviderReply reply) {
      switch (reply) {
        case ProviderReply.Complete c -> {
          JsonNode openAi = Json.tryParse(c.body());
          call.usage = Usage.of(openAi);
          response.putHeader("content-type", "application/json").end(Json.buffer(OpenAiToGemini.response(openAi)));
          call.complete(new ProxyCall.Outcome(200, c.body(), null, false));
        }
        case ProviderReply.Streaming s -> {
          response.setChunked(true).putHeader("content-type", sse ? "text/event-stream" : "application/json")
              .putHeader("cache-control", "no-cache").putHeader("x-accel-buffering", "no");
          s.chunks().start(new StreamRelay(response, call, s.chunks(), sse));
        }
      }
    }

    @Override
    public void fail(HttpServerResponse response, ApiError error) {
      if (response.headWritten() || response.closed()) {
        return;
      }
      response.setStatusCode(error.status()).putHeader("content-type", "application/json").end(Json.buffer(OpenAiToGemini.error(error)));
    }
  }

  /**
   * OpenAI chunks as GenerateContentResponse events: text and thoughts as they come; function
   * calls (whose arguments OpenAI streams in pieces) whole, with the finish reason and usage in the last event.
   */
  private static final class StreamRelay implements ChunkStream.Listener {
    private final HttpServerResponse response;
    private final ProxyCall call;
    private final ChunkStream stream;
    private final boolean sse;
    private final Map<Integer, String[]> toolCalls = new TreeMap<>();
    private String finishReason;
    private String model = "";
    private boolean first = true;

    StreamRelay(HttpServerResponse response, ProxyCall call, ChunkStream stream, boolean sse) {
      this.response = response;
      this.call = call;
      this.stream = stream;
      this.sse = sse;
    }

    @Override
    public void onChunk(Buffer json) {
      JsonNode chunk = Json.tryParse(json);
      if (chunk == null || response.closed()) {
        return;
      }
      call.chunkSent(json);
      model = chunk.path("model").asText(model);
      Usage usage = Usage.of(chunk);
      if (usage != null) {
        call.usage = usage;
      }
      JsonNode choice = chunk.path("choices").path(0);
      JsonNode delta = choice.path("delta");
      ArrayNode parts = Json.MAPPER.createArrayNode();
      OpenAiToGemini.addText(parts, delta.path("reasoning_content").asText(""), true);
      OpenAiToGemini.addText(parts, delta.path("content").asText(""), false);
      for (JsonNode tc : delta.path("tool_calls")) {
        String[] acc = toolCalls.computeIfAbsent(tc.path("index").asInt(), k -> new String[] {"", ""});
        acc[0] += tc.path("function").path("name").asText("");
        acc[1] += tc.path("function").path("arguments").asText("");
      }
      if (choice.hasNonNull("finish_reason")) {
        finishReason = choice.get("finish_reason").asText();
      }
      if (!parts.isEmpty()) {
        write(event(parts));
      }
    }

    private ObjectNode event(ArrayNode parts) {
      ObjectNode out = Json.object();
      ObjectNode candidate = out.putArray("candidates").addObject();
      candidate.putObject("content").put("role", "model").set("parts", parts);
      candidate.put("index", 0);
      out.put("modelVersion", model);
      return out;
    }

    private void write(ObjectNode event) {
      if (response.closed()) {
        return;
      }
      Buffer data = Json.buffer(event);
      if (sse) {
        response.write(Buffer.buffer("data: ").appendBuffer(data).appendString("\r\n\r\n"));
      } else {
        response.write(Buffer.buffer(first ? "[" : ",\r\n").appendBuffer(data));
      }
      first = false;
      if (response.writeQueueFull()) {
        stream.pause();
        response.drainHandler(v -> stream.resume());
      }
    }

    @Override
    public void onEnd() {
      ArrayNode parts = Json.MAPPER.createArrayNode();
      toolCalls.values().forEach(tc -> parts.add(OpenAiToGemini.functionCall(tc[0], tc[1])));
      ObjectNode last = event(parts);
      ((ObjectNode) last.get("candidates").get(0)).put("finishReason", OpenAiToGemini.finishReason(finishReason == null ? "stop" : finishReason));
      if (call.usage != null) {
        Usage u = call.usage;
        last.set("usageMetadata", OpenAiToGemini.usage(OpenAiShapes.usage(
            u.promptTokens(), u.completionTokens(), u.cachedPromptTokens(), u.reasoningTokens())));
      }
      write(last);
      if (!response.closed()) {
        response.end(sse ? Buffer.buffer() : Buffer.buffer("]"));
      }
      call.complete(new ProxyCall.Outcome(200, null, null, false));
    }

    @Override
    public void onError(UpstreamException e) {
      ApiError error = ApiError.from(e);
      if (!response.closed()) {
        ObjectNode err = OpenAiToGemini.error(error);
        if (sse) {
          response.end(Buffer.buffer("data: ").appendBuffer(Json.buffer(err)).appendString("\r\n\r\n"));
        } else {
          response.end(Buffer.buffer(first ? "[" : ",\r\n").appendBuffer(Json.buffer(err)).appendString("]"));
        }
      }
      call.complete(new ProxyCall.Outcome(200, null, error, false));
    }
  }
}
