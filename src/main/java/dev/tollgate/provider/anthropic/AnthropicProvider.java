package dev.tollgate.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.WireFormat;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.Set;

/**
 * {@code anthropic/}: OpenAI chat requests translated to Anthropic's Messages API and the answers
 * (streams included) translated back; {@link Endpoint#MESSAGES} calls (Anthropic clients of
 * {@code /v1/messages}) are forwarded as they came, answers untouched.
 */
public final class AnthropicProvider implements Provider, WireFormat {
  /**
   * Set by the {@code /v1/messages} route on a native request: what the gateway's own request
   * handling would otherwise lose (the client's {@code anthropic-beta} header and its {@code metadata}).
   */
  public static final String NATIVE_EXTRAS = "tollgate_native_extras";
  /** OpenAI parameters a deployment may set as defaults that the Messages API does not take. */
  private static final Set<String> OPENAI_ONLY_DEFAULTS = Set.of(
      "max_completion_tokens", "n", "stop", "presence_penalty", "frequency_penalty", "seed", "response_format",
      "logit_bias", "user", "reasoning_effort", "parallel_tool_calls", "logprobs", "top_logprobs", "dimensions",
      "encoding_format", "service_tier");

  private final ProviderContext ctx;

  public AnthropicProvider(ProviderContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String name() {
    return "Anthropic";
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    Deployment d = call.deployment();
    MultiMap headers = UpstreamHttp.jsonHeaders(call);
    ObjectNode body;
    try {
      body = switch (call.endpoint()) {
        case CHAT -> AnthropicRequest.fromOpenAi(call.body(), d.upstreamModel(), call.dropParams());
        case MESSAGES -> nativeBody(call.body(), d, headers);
        default -> throw new UpstreamException(400, "invalid_request_error", "Anthropic models answer chat requests only ("
            + call.endpoint().path() + " is not supported)", null, "unsupported_endpoint", null);
      };
    } catch (UpstreamException e) {
      return Future.failedFuture(e);
    }
    if (d.apiKey() != null && !headers.contains("x-api-key")) {
      headers.set("x-api-key", d.apiKey());
    }
    if (!headers.contains("anthropic-version")) {
      headers.set("anthropic-version", AnthropicWire.VERSION);
    }
    return UpstreamHttp.exchange(ctx, call, messagesUrl(d.apiBase()), headers, Json.buffer(body), this);
  }

  /** {@code api_base} may be given with or without {@code /v1}, or as the whole endpoint (LiteLLM accepts all three). */
  static String messagesUrl(String apiBase) {
    if (apiBase.endsWith("/v1/messages")) {
      return apiBase;
    }
    return apiBase + (apiBase.endsWith("/v1") ? "/messages" : "/v1/messages");
  }

  private static ObjectNode nativeBody(ObjectNode body, Deployment d, MultiMap headers) {
    body.remove(OPENAI_ONLY_DEFAULTS);
    body.put("model", d.upstreamModel());
    if (body.remove(NATIVE_EXTRAS) instanceof ObjectNode extras) {
      if (extras.path("anthropic_beta").isTextual()) {
        headers.set("anthropic-beta", extras.get("anthropic_beta").asText());
      }
      if (extras.has("metadata")) {
        body.set("metadata", extras.get("metadata"));
      }
    }
    if (!body.has("max_tokens")) {
      body.put("max_tokens", AnthropicRequest.DEFAULT_MAX_TOKENS);
    }
    return body;
  }

  @Override
  public Buffer completeResponse(UpstreamCall call, Buffer upstreamBody) {
    if (call.endpoint() == Endpoint.MESSAGES) {
      JsonNode parsed = Json.tryParse(upstreamBody);
      if (parsed == null || !parsed.isObject()) {
        throw UpstreamException.unreachable("Anthropic answered with something that is not JSON");
      }
      return upstreamBody;
    }
    return AnthropicResponse.toOpenAi(upstreamBody, AnthropicRequest.jsonMode(call.body()));
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    return call.endpoint() == Endpoint.MESSAGES ? new NativeStreamDecoder()
        : new OpenAiChunkDecoder(AnthropicRequest.jsonMode(call.body()));
  }

  @Override
  public UpstreamException error(int status, MultiMap headers, Buffer body) {
    return AnthropicWire.error(status, headers, body);
  }
}
