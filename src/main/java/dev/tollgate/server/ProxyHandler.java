package dev.tollgate.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.Version;
import dev.tollgate.auth.Principal;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.call.CallHeaders;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.call.RefusedRequests;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.router.Router;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI endpoints (chat, completions, embeddings): parse and check the request, send it down
 * the interceptor chain, and write what comes back — a JSON body, an SSE stream, or an error.
 */
final class ProxyHandler implements OpenAiDispatcher {
  private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

  private static final CharSequence VERSION = io.vertx.core.http.HttpHeaders.createOptimized(Version.VERSION);

  private final Router router;
  private final Interceptor.Chain chain;
  private final RefusedRequests refusals;

  ProxyHandler(Router router, Interceptor.Chain chain, RefusedRequests refusals) {
    this.router = router;
    this.chain = chain;
    this.refusals = refusals;
  }

  void handle(RoutingContext rc, Endpoint endpoint) {
    long start = System.nanoTime();
    ObjectNode body;
    try {
      body = parseBody(rc.body().buffer());
    } catch (RequestException e) {
      e.error.writeTo(rc.response());
      refusals.refused(rc.get(AuthHandler.PRINCIPAL), null, ProxyCall.endUserOf(rc.request().headers(), null), e.error.status());
      return;
    }
    String pathModel = rc.pathParam("model");
    if (pathModel != null) {
      body.put("model", pathModel);
    }
    dispatch(rc, endpoint, body, OPENAI, start);
  }

  /** Answers in OpenAI's format: the JSON body or the SSE stream as they are, errors in OpenAI's shape. */
  static final ReplyWriter OPENAI = new ReplyWriter() {
    @Override
    public void reply(HttpServerResponse response, ProxyCall call, ProviderReply reply) {
      switch (reply) {
        case ProviderReply.Complete c -> {
          response.putHeader(CallHeaders.CONTENT_TYPE, CallHeaders.APPLICATION_JSON).end(c.body());
          if (call.usage == null) { // accounting (Enforcement) has usually read it already
            call.usage = Usage.parse(c.body());
          }
          call.complete(new ProxyCall.Outcome(200, c.body(), null, false));
        }
        case ProviderReply.Streaming s -> SseRelay.start(response, call, s.chunks());
      }
    }

    @Override
    public void fail(HttpServerResponse response, ApiError error) {
      error.writeTo(response);
    }
  };

  /**
   * The request path for an OpenAI-shaped body, whichever API format the client spoke: check the
   * model and the body, run the interceptor chain, and let {@code writer} answer in the client's format.
   */
  @Override
  public void dispatch(RoutingContext rc, Endpoint endpoint, ObjectNode body, ReplyWriter writer, long start) {
    JsonNode model = body.get("model");
    Principal principal = rc.get(AuthHandler.PRINCIPAL);
    if (model == null || !model.isTextual() || model.asText().isBlank()) {
      refuse(rc, writer, principal, null, body, ApiError.badRequest("'model' is required: one of " + router.modelNames(), "model"));
      return;
    }
    String modelGroup = principal == null ? model.asText() : principal.modelGroupFor(model.asText());
    if (router.group(modelGroup).isEmpty()) {
      // counted under requested_model "None": a name no deployment has would be a new series per
      // name, which any key holder could grow without bound
      refuse(rc, writer, principal, null, body, new ApiError(400, "invalid_request_error", "Invalid model name passed in model="
          + modelGroup + ". Available models: " + String.join(", ", router.modelNames()), "model", "model_not_found", null));
      return;
    }
    ApiError invalid = validate(endpoint, body);
    if (invalid != null) {
      refuse(rc, writer, principal, modelGroup, body, invalid);
      return;
    }
    JsonNode streamFlag = body.get("stream");
    boolean stream = endpoint != Endpoint.EMBEDDINGS && streamFlag != null && streamFlag.asBoolean(false);
    ProxyCall call = new ProxyCall(newCallId(), endpoint, modelGroup, body, stream, principal, rc.request().headers(), start);
    HttpServerResponse response = rc.response();
    response.closeHandler(v -> {
      if (!response.ended()) {
        // the outcome first: cancelling resets the upstream request, whose stream then reports an
        // error at once, which would otherwise complete the call as a 200 whose stream broke off
        call.complete(new ProxyCall.Outcome(499, null, null, true));
        call.cancellation.cancel();
      }
    });
    if (log.isDebugEnabled()) {
      log.debug("call {} {} model={} stream={}", call.callId, endpoint.path(), modelGroup, stream);
    }
    chain.proceed(call).onComplete(ar -> {
      if (ar.succeeded()) {
        reply(response, call, ar.result(), writer);
      } else {
        fail(response, call, ar.cause(), writer);
      }
    });
  }

  /** Answers a request that does not become a call, and tells metrics: the client got no success. */
  private void refuse(RoutingContext rc, ReplyWriter writer, Principal principal, String modelGroup, ObjectNode body, ApiError error) {
    writer.fail(rc.response(), error);
    refusals.refused(principal, modelGroup, ProxyCall.endUserOf(rc.request().headers(), body), error.status());
  }

  private static void reply(HttpServerResponse response, ProxyCall call, ProviderReply reply, ReplyWriter writer) {
    if (response.closed()) {
      if (reply instanceof ProviderReply.Streaming s) {
        s.chunks().cancel();
      }
      return;
    }
    addCallHeaders(response, call);
    CallHeaders.copy(reply.headers(), response.headers());
    writer.reply(response, call, reply);
  }

  private static void fail(HttpServerResponse response, ProxyCall call, Throwable cause, ReplyWriter writer) {
    ApiError error;
    if (cause instanceof UpstreamException ue) {
      error = ApiError.from(ue);
    } else if (cause instanceof ApiException ae) {
      error = ae.error();
    } else {
      log.error("call {} failed unexpectedly", call.callId, cause);
      error = ApiError.of(500, "Internal error in the gateway (call id " + call.callId + ")");
    }
    if (!response.closed() && !response.headWritten()) {
      addCallHeaders(response, call);
      writer.fail(response, error);
    }
    call.complete(new ProxyCall.Outcome(error.status(), null, error, false));
  }

  /** The {@code x-litellm-*} headers LiteLLM's users already read. */
  private static void addCallHeaders(HttpServerResponse response, ProxyCall call) {
    long totalNanos = System.nanoTime() - call.startNanos;
    MultiMap headers = response.headers()
        .add(CallHeaders.CALL_ID, call.callId)
        .add(CallHeaders.MODEL_GROUP, configuredGroup(call) ? CallHeaders.repeated(call.modelGroup) : call.modelGroup)
        .add(CallHeaders.VERSION, VERSION)
        .add(CallHeaders.RESPONSE_DURATION_MS, millis(totalNanos))
        .add(CallHeaders.OVERHEAD_DURATION_MS, millis(Math.max(0, totalNanos - call.upstreamNanos)))
        .add(CallHeaders.ATTEMPTED_RETRIES, Integer.toString(call.attemptedRetries))
        .add(CallHeaders.ATTEMPTED_FALLBACKS, Integer.toString(call.attemptedFallbacks));
    if (call.deployment != null) {
      headers.add(CallHeaders.MODEL_ID, CallHeaders.repeated(call.deployment.id()));
      if (call.deployment.apiBase() != null) {
        headers.add(CallHeaders.MODEL_API_BASE, CallHeaders.repeated(call.deployment.shownApiBase()));
      }
    }
    CallHeaders.copy(call.responseHeaders, headers);
  }

  /** Whether the call's model group is a name of the config (not a client's model matched by a wildcard group). */
  private static boolean configuredGroup(ProxyCall call) {
    return call.deployment != null && call.modelGroup != null && call.modelGroup.equals(call.deployment.modelName());
  }

  /** Milliseconds with three decimals ("12.345"), built by hand: String.format showed up in the profile. */
  static String millis(long nanos) {
    long micros = (nanos + 500) / 1000;
    long fraction = micros % 1000;
    return (micros / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
  }

  private static ObjectNode parseBody(Buffer raw) throws RequestException {
    if (raw == null || raw.length() == 0) {
      throw new RequestException(ApiError.badRequest("Request body is empty: expected a JSON object", null));
    }
    JsonNode node;
    try {
      node = Json.parse(raw);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new RequestException(ApiError.badRequest("Invalid JSON in request body" + where + ": " + e.getOriginalMessage(), null));
    } catch (IOException e) {
      throw new RequestException(ApiError.badRequest("Request body could not be read: " + e.getMessage(), null));
    }
    if (!(node instanceof ObjectNode obj)) {
      throw new RequestException(ApiError.badRequest("Request body must be a JSON object, not " + node.getNodeType().name().toLowerCase(Locale.ROOT), null));
    }
    return obj;
  }

  private static ApiError validate(Endpoint endpoint, ObjectNode body) {
    switch (endpoint) {
      case CHAT -> {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
          return ApiError.badRequest("'messages' is required: a non-empty list of {role, content}", "messages");
        }
        for (int i = 0; i < messages.size(); i++) {
          if (!messages.get(i).isObject() || !messages.get(i).path("role").isTextual()) {
            return ApiError.badRequest("messages[" + i + "] must be an object with a string 'role'", "messages[" + i + "]");
          }
        }
      }
      case COMPLETIONS -> {
        if (!body.has("prompt")) {
          return ApiError.badRequest("'prompt' is required", "prompt");
        }
      }
      case EMBEDDINGS -> {
        if (!body.has("input")) {
          return ApiError.badRequest("'input' is required: a string or a list", "input");
        }
      }
    }
    return null;
  }

  /**
   * A time-ordered v7 UUID (RFC 9562: 48 bits of Unix milliseconds, then random bits), without
   * SecureRandom's lock on the hot path: call ids need uniqueness, not secrecy. Time order makes
   * the spend log's primary key an append instead of a random insert into its index.
   */
  static String newCallId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (System.currentTimeMillis() << 16) | 0x7000L | (r.nextLong() & 0x0FFFL);
    long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(hi, lo).toString();
  }

  private static final class RequestException extends Exception {
    final ApiError error;

    RequestException(ApiError error) {
      super(error.message(), null, false, false);
      this.error = error;
    }
  }
}
