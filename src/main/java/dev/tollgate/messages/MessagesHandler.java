package dev.tollgate.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.provider.anthropic.AnthropicProvider;
import dev.tollgate.provider.anthropic.AnthropicWire;
import dev.tollgate.router.Router;
import dev.tollgate.server.OpenAiDispatcher;
import dev.tollgate.server.ReplyWriter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /v1/messages}: Anthropic's Messages API in front of every model. A model group made
 * only of Anthropic deployments gets the request as it came ({@link Endpoint#MESSAGES}); any other
 * gets it translated to an OpenAI chat call and answers translated back, streams included. Both
 * go down the same interceptor chain as the OpenAI routes (routing, retries, limits, accounting).
 */
final class MessagesHandler {
  private final Router router;
  private final OpenAiDispatcher dispatcher;

  MessagesHandler(Router router, OpenAiDispatcher dispatcher) {
    this.router = router;
    this.dispatcher = dispatcher;
  }

  void messages(RoutingContext rc) {
    long start = System.nanoTime();
    ObjectNode body;
    try {
      body = parse(rc.body().buffer());
      JsonNode messages = body.get("messages");
      if (messages == null || !messages.isArray() || messages.isEmpty()) {
        throw new ApiException(ApiError.badRequest("messages: a non-empty list of {role, content} is required", "messages"));
      }
    } catch (ApiException e) {
      writeError(rc.response(), e.error());
      return;
    }
    String model = body.path("model").asText("");
    boolean nativeCall = !body.has("mock_response") && router.group(model).map(group -> group.stream()
        .allMatch(d -> d.family().name().equals("anthropic") && d.mockResponse().isEmpty())).orElse(false);
    ObjectNode callBody;
    try {
      callBody = nativeCall ? nativeBody(rc, body) : MessagesRequest.toOpenAi(body);
    } catch (ApiException e) {
      writeError(rc.response(), e.error());
      return;
    }
    dispatcher.dispatch(rc, nativeCall ? Endpoint.MESSAGES : Endpoint.CHAT, callBody, new Writer(nativeCall, model), start);
  }

  /** Answers in Anthropic's format: as it came from an Anthropic deployment, translated from any other. */
  private record Writer(boolean nativeCall, String model) implements ReplyWriter {
    @Override
    public void reply(HttpServerResponse response, ProxyCall call, ProviderReply reply) {
      switch (reply) {
        case ProviderReply.Complete c -> complete(response, call, c.body(), nativeCall, model);
        case ProviderReply.Streaming s -> (nativeCall ? new NativeEventWriter(response, call)
            : new TranslatedEventWriter(response, call, model)).start(s.chunks());
      }
    }

    @Override
    public void fail(HttpServerResponse response, ApiError error) {
      writeError(response, error);
    }
  }

  /** {@code POST /v1/messages/count_tokens}: an estimate (no tokenizer call), {@code {"input_tokens": N}}. */
  void countTokens(RoutingContext rc) {
    try {
      ObjectNode body = parse(rc.body().buffer());
      int tokens = TokenEstimate.ofRequest(MessagesRequest.toOpenAi(body));
      rc.response().putHeader("content-type", "application/json")
          .end(Json.buffer(Json.object().put("input_tokens", tokens)));
    } catch (ApiException e) {
      writeError(rc.response(), e.error());
    }
  }

  private static void complete(HttpServerResponse response, ProxyCall call, Buffer body, boolean nativeCall, String model) {
    JsonNode parsed = Json.tryParse(body);
    if (parsed == null) {
      ApiError error = ApiError.of(502, "the model answered with something that is not JSON");
      writeError(response, error);
      call.complete(new ProxyCall.Outcome(502, null, error, false));
      return;
    }
    Buffer out;
    if (nativeCall) {
      call.usage = MessagesResponse.usage(parsed.path("usage"));
      out = body;
    } else {
      call.usage = Usage.of(parsed);
      out = Json.buffer(MessagesResponse.fromOpenAi(parsed, model));
    }
    response.putHeader("content-type", "application/json").end(out);
    call.complete(new ProxyCall.Outcome(200, body, null, false));
  }

  /** The request as the Anthropic deployment gets it, with what the gateway's own handling would drop kept aside. */
  private static ObjectNode nativeBody(RoutingContext rc, ObjectNode body) {
    ObjectNode extras = Json.object();
    String beta = rc.request().getHeader("anthropic-beta");
    if (beta != null) {
      extras.put("anthropic_beta", beta);
    }
    if (body.has("metadata")) {
      extras.set("metadata", body.get("metadata"));
    }
    if (!extras.isEmpty()) {
      body.set(AnthropicProvider.NATIVE_EXTRAS, extras);
    }
    return body;
  }

  private static ObjectNode parse(Buffer raw) {
    JsonNode node = raw == null || raw.length() == 0 ? null : Json.tryParse(raw);
    if (node instanceof ObjectNode obj) {
      return obj;
    }
    throw new ApiException(ApiError.badRequest("The request body must be a JSON object (Anthropic's Messages request)", null));
  }

  /** Anthropic's error shape, {@code {"type":"error","error":{"type","message"}}}, with the status. */
  static void writeError(HttpServerResponse response, ApiError error) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    // Anthropic's own status for an overloaded model (OpenAI clients get 503)
    int status = "overloaded_error".equals(error.code()) ? 529 : error.status();
    response.setStatusCode(status).putHeader("content-type", "application/json");
    if (error.retryAfter() != null) {
      response.putHeader("retry-after", Long.toString(Math.max(1, (error.retryAfter().toMillis() + 999) / 1000)));
    }
    response.end(Json.buffer(AnthropicWire.errorBody(error.status(), error.code(), error.message())));
  }
}
