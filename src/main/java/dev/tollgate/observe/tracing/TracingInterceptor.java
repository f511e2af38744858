package dev.tollgate.observe.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Cancellation;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamObserver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One trace per call: a server span for the gateway (child of the client's {@code traceparent}
 * when it sent one), a routing span around the choice of deployments and their attempts, and a
 * client span per upstream attempt, whose context goes to the upstream as {@code traceparent}.
 * Attributes follow OpenTelemetry's GenAI conventions; prompts and completions are added only
 * when message logging is on.
 */
public final class TracingInterceptor implements Interceptor, UpstreamObserver {
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<MultiMap> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(MultiMap carrier) {
      return carrier.names();
    }

    @Override
    public String get(MultiMap carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private final Tracer tracer;
  private final boolean messageLoggingOff;
  private final ConcurrentHashMap<Cancellation, Span> routing = new ConcurrentHashMap<>();

  public TracingInterceptor(Tracer tracer, boolean messageLoggingOff) {
    this.tracer = tracer;
    this.messageLoggingOff = messageLoggingOff;
  }

  static String operation(Endpoint endpoint) {
    return switch (endpoint) {
      case CHAT -> "chat";
      case COMPLETIONS -> "text_completion";
      case EMBEDDINGS -> "embeddings";
      default -> endpoint.path();
    };
  }

  @Override
  public Future<ProviderReply> intercept(ProxyCall call, Chain next) {
    String operation = operation(call.endpoint);
    Context parent = W3C.extract(Context.root(), call.requestHeaders, HEADERS);
    Span gateway = tracer.spanBuilder(operation + " " + call.modelGroup).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setAttribute("gen_ai.operation.name", operation)
        .setAttribute("gen_ai.request.model", call.modelGroup)
        .setAttribute("litellm.call_id", call.callId)
        .setAttribute("http.request.method", "POST")
        .setAttribute("url.path", "/" + call.endpoint.path())
        .setAttribute("gen_ai.request.stream", call.stream)
        .startSpan();
    requestParams(gateway, call.body);
    if (!messageLoggingOff) {
      prompts(gateway, call.body);
    }
    Span route = tracer.spanBuilder("router " + call.modelGroup).setParent(Context.root().with(gateway))
        .setAttribute("gen_ai.request.model", call.modelGroup).startSpan();
    routing.put(call.cancellation, route);
    Future<ProviderReply> reply = next.proceed(call);
    reply.onComplete(ar -> {
      routing.remove(call.cancellation);
      route.setAttribute("litellm.attempted_retries", call.attemptedRetries);
      if (ar.failed()) {
        route.setStatus(StatusCode.ERROR, ar.cause().getMessage());
      }
      route.end();
    });
    call.onComplete(outcome -> {
      routing.remove(call.cancellation);
      Deployment d = call.deployment;
      if (d != null) {
        gateway.setAttribute("gen_ai.system", d.providerName());
        gateway.setAttribute("gen_ai.response.model", d.upstreamModel());
        gateway.setAttribute("litellm.model_id", d.id());
      }
      if (call.usage != null) {
        gateway.setAttribute("gen_ai.usage.input_tokens", call.usage.promptTokens());
        gateway.setAttribute("gen_ai.usage.output_tokens", call.usage.completionTokens());
      }
      if (call.responseCost > 0) {
        gateway.setAttribute("litellm.response_cost", call.responseCost);
      }
      gateway.setAttribute("http.response.status_code", outcome.status());
      if (outcome.error() != null || outcome.status() >= 400) {
        gateway.setStatus(StatusCode.ERROR, outcome.error() == null ? "status " + outcome.status() : outcome.error().message());
        gateway.setAttribute("error.type", outcome.error() == null ? Integer.toString(outcome.status()) : outcome.error().type());
      } else if (!messageLoggingOff && outcome.body() != null) {
        completion(gateway, Json.tryParse(outcome.body()));
      }
      gateway.end();
    });
    return reply;
  }

  @Override
  public Attempt attemptStarted(UpstreamCall upstream, MultiMap headers) {
    Span route = routing.get(upstream.cancellation());
    if (route == null) {
      return null;
    }
    Deployment d = upstream.deployment();
    Span attempt = tracer.spanBuilder(operation(upstream.endpoint()) + " " + d.upstreamModel())
        .setParent(Context.root().with(route)).setSpanKind(SpanKind.CLIENT)
        .setAttribute("gen_ai.system", d.providerName())
        .setAttribute("gen_ai.operation.name", operation(upstream.endpoint()))
        .setAttribute("gen_ai.request.model", d.upstreamModel())
        .setAttribute("litellm.model_id", d.id())
        .setAttribute("server.address", d.apiBase() == null ? "" : d.shownApiBase())
        .startSpan();
    W3C.inject(Context.root().with(attempt), headers, (carrier, key, value) -> carrier.set(key, value));
    return failure -> {
      if (failure != null) {
        attempt.setStatus(StatusCode.ERROR, failure.getMessage());
        if (failure instanceof UpstreamException ue) {
          attempt.setAttribute("http.response.status_code", ue.status());
          attempt.setAttribute("error.type", ue.type());
        }
      }
      attempt.end();
    };
  }

  private static void requestParams(Span span, JsonNode body) {
    JsonNode v;
    if ((v = body.get("max_tokens")) != null && v.isNumber()) {
      span.setAttribute("gen_ai.request.max_tokens", v.asLong());
    }
    if ((v = body.get("temperature")) != null && v.isNumber()) {
      span.setAttribute("gen_ai.request.temperature", v.asDouble());
    }
    if ((v = body.get("top_p")) != null && v.isNumber()) {
      span.setAttribute("gen_ai.request.top_p", v.asDouble());
    }
  }

  /** LiteLLM's attribute form of the prompt: {@code gen_ai.prompt.N.role} / {@code .content}. */
  private static void prompts(Span span, JsonNode body) {
    JsonNode messages = body.get("messages");
    if (messages != null && messages.isArray()) {
      for (int i = 0; i < messages.size(); i++) {
        JsonNode m = messages.get(i);
        span.setAttribute("gen_ai.prompt." + i + ".role", m.path("role").asText());
        JsonNode content = m.get("content");
        span.setAttribute("gen_ai.prompt." + i + ".content", content == null ? "" : content.isTextual() ? content.asText() : content.toString());
      }
    } else if (body.has("prompt")) {
      span.setAttribute("gen_ai.prompt.0.content", body.get("prompt").toString());
    }
  }

  private static void completion(Span span, JsonNode response) {
    JsonNode choices = response == null ? null : response.get("choices");
    if (choices != null && choices.isArray() && !choices.isEmpty()) {
      JsonNode c = choices.get(0);
      JsonNode text = c.path("message").path("content");
      span.setAttribute("gen_ai.completion.0.role", "assistant");
      span.setAttribute("gen_ai.completion.0.content", text.isTextual() ? text.asText() : c.path("text").asText());
      span.setAttribute("gen_ai.response.finish_reasons", c.path("finish_reason").asText());
    }
    if (response != null && response.has("id")) {
      span.setAttribute("gen_ai.response.id", response.get("id").asText());
    }
  }
}
