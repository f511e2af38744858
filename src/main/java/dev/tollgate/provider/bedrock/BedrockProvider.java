package dev.tollgate.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.EventStreamParser;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.TranslatingDecoder;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.WireFormat;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;

/**
 * Amazon Bedrock's Converse API ({@code bedrock/}): {@code /model/{modelId}/converse} and {@code
 * /converse-stream} (AWS event-stream framing), signed with SigV4 or a Bedrock API key (bearer).
 */
public final class BedrockProvider implements Provider, WireFormat {
  private final ProviderContext ctx;

  public BedrockProvider(ProviderContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String name() {
    return "Bedrock";
  }

  /** Where a deployment's calls go: {@code aws_bedrock_runtime_endpoint}, {@code api_base}, else the region's endpoint. */
  public static String baseUrl(JsonNode params, String apiBase) {
    if (params.hasNonNull("aws_bedrock_runtime_endpoint")) {
      return params.get("aws_bedrock_runtime_endpoint").asText().replaceAll("/+$", "");
    }
    return params.hasNonNull("api_base") ? apiBase : "https://bedrock-runtime." + region(params) + ".amazonaws.com";
  }

  public static String region(JsonNode params) {
    return params.path("aws_region_name").asText("us-east-1");
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    if (call.endpoint() != Endpoint.CHAT) {
      return Future.failedFuture(UpstreamException.of(400, "Bedrock (Converse) serves /chat/completions only"));
    }
    Deployment d = call.deployment();
    Buffer body;
    try {
      body = Json.buffer(BedrockConverse.request(call));
    } catch (UpstreamException e) {
      return Future.failedFuture(e);
    }
    // LiteLLM's "bedrock/converse/{model}" names the route explicitly; Converse is the only one here
    String modelId = d.upstreamModel().startsWith("converse/") ? d.upstreamModel().substring("converse/".length()) : d.upstreamModel();
    String url = baseUrl(d.litellmParams(), d.apiBase()) + "/model/" + SigV4.encode(modelId)
        + (call.stream() ? "/converse-stream" : "/converse");
    MultiMap headers = UpstreamHttp.jsonHeaders(call);
    headers.set("accept", call.stream() ? "application/vnd.amazon.eventstream" : "application/json");
    try {
      authenticate(d.litellmParams(), d.apiKey(), "POST", url, headers, body);
    } catch (UpstreamException e) {
      return Future.failedFuture(e);
    }
    return UpstreamHttp.exchange(ctx, call, url, headers, body, this);
  }

  /** Adds SigV4 headers (from {@code aws_*} in {@code p}) or the Bedrock API key as a bearer token to a request. */
  public static void authenticate(JsonNode p, String apiKey, String method, String url, MultiMap headers, Buffer body) {
    if (p.hasNonNull("aws_access_key_id") && p.hasNonNull("aws_secret_access_key")) {
      SigV4.sign(method, URI.create(url), headers, body, new SigV4.Credentials(p.get("aws_access_key_id").asText(),
          p.get("aws_secret_access_key").asText(), p.hasNonNull("aws_session_token") ? p.get("aws_session_token").asText() : null),
          region(p), "bedrock", ZonedDateTime.now());
    } else if (apiKey != null) {
      headers.set("authorization", "Bearer " + apiKey);
    } else {
      throw UpstreamException.of(401, "Bedrock: no credentials: set aws_access_key_id and aws_secret_access_key "
          + "(or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), or a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)");
    }
  }

  @Override
  public Buffer completeResponse(UpstreamCall call, Buffer upstreamBody) {
    JsonNode json = OpenAiShapes.parseUpstream(name(), upstreamBody);
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    ArrayNode toolCalls = Json.MAPPER.createArrayNode();
    for (JsonNode block : json.path("output").path("message").path("content")) {
      if (block.has("text")) {
        text.append(block.get("text").asText());
      } else if (block.has("toolUse")) {
        JsonNode use = block.get("toolUse");
        toolCalls.add(OpenAiShapes.toolCall(use.path("toolUseId").asText(), use.path("name").asText(), use.path("input").toString()));
      } else if (block.has("reasoningContent")) {
        reasoning.append(block.get("reasoningContent").path("reasoningText").path("text").asText());
      }
    }
    ObjectNode body = OpenAiShapes.completion(OpenAiShapes.newId("chatcmpl-"), call.deployment().upstreamModel(),
        OpenAiShapes.assistantMessage(text.toString(), reasoning.toString(), toolCalls),
        BedrockConverse.finishReason(json.path("stopReason").asText("end_turn")), BedrockConverse.usage(json.get("usage")));
    return Json.buffer(body);
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    return new Decoder(call.deployment().upstreamModel());
  }

  /** ConverseStream events: messageStart, contentBlockStart/Delta/Stop, messageStop, metadata; or an exception. */
  private static final class Decoder extends TranslatingDecoder {
    private final EventStreamParser parser = new EventStreamParser(this::message);
    private final Map<Integer, Integer> toolIndexByBlock = new HashMap<>();
    /** Framing lost: nothing after it can be read, and the error is told once. */
    private boolean corrupt;

    Decoder(String model) {
      super("Bedrock", model);
    }

    @Override
    protected void feed(Buffer bytes) {
      if (corrupt) {
        return;
      }
      try {
        parser.feed(bytes);
      } catch (EventStreamParser.CorruptStreamException e) {
        corrupt = true;
        out.error(UpstreamException.of(502, "Bedrock sent a broken event stream: " + e.getMessage()));
      }
    }

    @Override
    protected void flush() {
      // a partial frame at the end stays unfinished: the stream counts as truncated
    }

    private void message(EventStreamParser.Message m) {
      String type = m.header(":message-type");
      if ("exception".equals(type) || "error".equals(type)) {
        String kind = type.equals("error") ? m.header(":error-code") : m.header(":exception-type");
        JsonNode body = Json.tryParse(m.payload());
        String msg = body != null && body.has("message") ? body.get("message").asText()
            : m.header(":error-message") != null ? m.header(":error-message") : m.payload().toString();
        int status = BedrockConverse.statusOf(kind);
        out.error(new UpstreamException(status, UpstreamException.typeFor(status), "Bedrock error: " + kind + ": " + msg, null, null, null));
        return;
      }
      JsonNode e = parse(m.payload());
      if (e == null) {
        return;
      }
      switch (String.valueOf(m.header(":event-type"))) {
        case "contentBlockStart" -> {
          JsonNode use = e.path("start").path("toolUse");
          if (!use.isMissingNode()) {
            int index = toolIndexByBlock.size();
            toolIndexByBlock.put(e.path("contentBlockIndex").asInt(), index);
            writer.toolCall(out, index, use.path("toolUseId").asText(), use.path("name").asText(), "");
          }
        }
        case "contentBlockDelta" -> {
          JsonNode delta = e.path("delta");
          if (delta.has("text")) {
            writer.text(out, delta.get("text").asText());
          } else if (delta.has("toolUse")) {
            Integer index = toolIndexByBlock.get(e.path("contentBlockIndex").asInt());
            if (index != null) {
              writer.toolCall(out, index, null, null, delta.get("toolUse").path("input").asText());
            }
          } else if (delta.has("reasoningContent")) {
            writer.reasoning(out, delta.get("reasoningContent").path("text").asText());
          }
        }
        case "messageStop" -> writer.finish(out, BedrockConverse.finishReason(e.path("stopReason").asText("end_turn")));
        case "metadata" -> usage = BedrockConverse.usage(e.get("usage"));
        default -> {
          // messageStart, contentBlockStop: nothing to tell the client
        }
      }
    }
  }
}
