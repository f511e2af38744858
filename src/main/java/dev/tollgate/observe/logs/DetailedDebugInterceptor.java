package dev.tollgate.observe.logs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.json.Json;
import dev.tollgate.provider.ProviderReply;
import io.vertx.core.Future;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --detailed_debug}: logs each request (headers with credentials masked, body) and its
 * response (status, duration, usage, body of non-streamed answers). Prompts and completions are
 * left out under {@code turn_off_message_logging}; keys never appear (masked here, and again by
 * {@link GatewayEncoder} for any that slipped through).
 */
public final class DetailedDebugInterceptor implements Interceptor {
  private static final Logger log = LoggerFactory.getLogger("dev.tollgate.detailed_debug");
  private final boolean messageLoggingOff;

  public DetailedDebugInterceptor(boolean messageLoggingOff) {
    this.messageLoggingOff = messageLoggingOff;
  }

  @Override
  public Future<ProviderReply> intercept(ProxyCall call, Chain next) {
    if (!log.isDebugEnabled()) {
      return next.proceed(call);
    }
    StringBuilder headers = new StringBuilder("{");
    for (Map.Entry<String, String> h : call.requestHeaders) {
      headers.append(h.getKey()).append(": ").append(Secrets.isCredentialName(h.getKey()) ? "[REDACTED]" : h.getValue()).append(", ");
    }
    headers.append('}');
    Object body = messageLoggingOff ? MessageRedaction.request(call.body) : call.body;
    log.debug("request {} {} headers={} body={}", call.callId, call.endpoint.path(), headers, body);
    Future<ProviderReply> reply = next.proceed(call);
    call.onComplete(outcome -> {
      String text = "";
      if (outcome.body() != null) {
        JsonNode parsed = Json.tryParse(outcome.body());
        text = String.valueOf(messageLoggingOff ? MessageRedaction.response(parsed) : parsed);
      } else if (outcome.error() != null) {
        text = outcome.error().json().toString();
      }
      log.debug("response {} status={} duration_ms={} model={} usage={} stream={} body={}", call.callId, outcome.status(),
          String.format(Locale.ROOT, "%.1f", (System.nanoTime() - call.startNanos) / 1e6),
          call.deployment == null ? null : call.deployment.litellmModel(), call.usage, call.stream, text);
    });
    return reply;
  }
}
