package dev.tollgate.provider.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.CallHeaders;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.OpenAiShapes;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.SseParser;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamErrors;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.UsageEstimatingDecoder;
import dev.tollgate.provider.WireFormat;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenAI and every server that speaks its API (vLLM, Groq, DeepSeek, Mistral, OpenRouter, ...):
 * the request is forwarded as it came, with the upstream model name and key; responses and
 * stream chunks are relayed byte for byte.
 */
public final class OpenAiCompatibleProvider implements Provider, WireFormat {
  private static final Logger log = LoggerFactory.getLogger(OpenAiCompatibleProvider.class);
  private static final Buffer DONE = Buffer.buffer("[DONE]");
  private static final String EVENT_STREAM = CallHeaders.EVENT_STREAM.toString();
  private static final String FINISH_REASON = "\"finish_reason\"";
  private static final String ERROR = "\"error\"";
  private final ProviderContext ctx;
  /**
   * Deployments that answered 400 to the {@code stream_options} the gateway added: their streams are
   * sent without it and billed on an estimate ({@link UsageEstimatingDecoder}). Bounded by the
   * configured deployments.
   */
  private final Set<String> refuseStreamOptions = ConcurrentHashMap.newKeySet();

  public OpenAiCompatibleProvider(ProviderContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String name() {
    return "OpenAI-compatible upstream";
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    String deploymentId = call.deployment().id();
    boolean askForUsage = !refuseStreamOptions.contains(deploymentId);
    // an upstream refusing the client's own stream_options (a bad value, or a server without the
    // field) says nothing about the gateway's: the client gets the error, no one's billing changes
    boolean clientsOwn = call.body().has("stream_options");
    Future<ProviderReply> reply = exchange(call, askForUsage);
    if (!call.stream() || !askForUsage || clientsOwn) {
      return reply;
    }
    return reply.recover(e -> {
      if (!refusesStreamOptions(e)) {
        return Future.failedFuture(e);
      }
      if (refuseStreamOptions.add(deploymentId)) {
        log.warn("deployment {} ({}) refuses stream_options: its streams go without it from now on, billed on an estimate",
            deploymentId, call.deployment().litellmModel());
      }
      return exchange(call, false);
    });
  }

  private Future<ProviderReply> exchange(UpstreamCall call, boolean askForUsage) {
    Deployment d = call.deployment();
    ObjectNode body = upstreamBody(call, askForUsage);
    MultiMap headers = UpstreamHttp.jsonHeaders(call);
    if (d.apiKey() != null && !headers.contains(CallHeaders.AUTHORIZATION)) {
      headers.set(CallHeaders.AUTHORIZATION, CallHeaders.bearer(d.apiKey()));
    }
    return UpstreamHttp.exchange(ctx, call, d.apiBase() + "/" + call.endpoint().path(), headers, Json.buffer(body), this);
  }

  /** A server that validates its request strictly (older vLLM: "extra_forbidden") refusing the usage chunk request. */
  private static boolean refusesStreamOptions(Throwable e) {
    return e instanceof UpstreamException ue && (ue.status() == 400 || ue.status() == 422) && ue.getMessage() != null
        && ue.getMessage().contains("stream_options");
  }

  /**
   * The request as an OpenAI-compatible upstream gets it: its model name and, for a stream when
   * {@code askForUsage}, the usage chunk asked for. Without it, {@code stream_options} is not sent
   * at all (for upstreams that refuse it; {@link dev.tollgate.provider.UsageEstimatingDecoder}).
   */
  public static ObjectNode upstreamBody(UpstreamCall call, boolean askForUsage) {
    ObjectNode body = call.body();
    body.put("model", call.deployment().upstreamModel());
    if (call.stream() && !askForUsage) {
      body.remove("stream_options");
    } else if (call.stream() && call.endpoint() != dev.tollgate.provider.Endpoint.EMBEDDINGS) {
      // ask for the usage chunk so that streamed calls can be accounted; the relay drops it
      // again when the client did not ask for it
      ObjectNode options = Json.object();
      if (body.get("stream_options") instanceof ObjectNode given) {
        options.setAll(given);
      }
      options.put("include_usage", true);
      body.set("stream_options", options);
    }
    return body;
  }

  @Override
  public Buffer completeResponse(UpstreamCall call, Buffer upstreamBody) {
    if (!Json.looksLikeObject(upstreamBody)) { // a web page, plain text, a body cut short
      throw notWhatWasAsked(call, "a JSON object", upstreamBody);
    }
    return upstreamBody;
  }

  /** Servers behind a proxy may leave the content type out; one that names another type did not stream. */
  @Override
  public boolean isStream(String contentType) {
    return contentType == null || contentType.regionMatches(true, 0, EVENT_STREAM, 0, EVENT_STREAM.length());
  }

  @Override
  public UpstreamException notAStream(UpstreamCall call, Buffer body) {
    return notWhatWasAsked(call, "an event stream", body);
  }

  /** A wrong api_base often answers 200 with a web page: say so instead of relaying it. */
  private UpstreamException notWhatWasAsked(UpstreamCall call, String expected, Buffer body) {
    return new UpstreamException(502, "api_error", name() + " answered 200 with a body that is not " + expected + " (is api_base "
        + call.deployment().apiBase() + " right?): " + preview(body), null, "invalid_upstream_response", null);
  }

  private static String preview(Buffer data) {
    return data.length() > 100 ? data.getString(0, 100) + "..." : data.toString();
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    StreamDecoder decoder = relayDecoder();
    return refuseStreamOptions.contains(call.deployment().id()) ? new UsageEstimatingDecoder(decoder, call.body()) : decoder;
  }

  /**
   * Relays the upstream's chunks as they are. A body that ends without {@code [DONE]} was cut short,
   * unless a choice got its finish_reason: some OpenAI-compatible servers never send [DONE].
   */
  private StreamDecoder relayDecoder() {
    return new StreamDecoder() {
      private StreamDecoder.Emitter out;
      private boolean sawEvent;
      private boolean sawFinishReason;
      private boolean sawDone;
      private final SseParser parser = new SseParser((event, data) -> {
        sawEvent = true;
        if (data.length() == DONE.length() && data.equals(DONE)) {
          sawDone = true;
          out.end();
        } else if (Json.startsWithMember(data, ERROR)) {
          // a server failing mid-stream says so in an event: the stream ends with it, once
          out.error(UpstreamErrors.fromResponse(name(), 500, null, data));
        } else if (Json.looksLikeObject(data)) {
          if (!sawFinishReason) {
            sawFinishReason = Json.hasNonNullMember(data, FINISH_REASON);
          }
          out.chunk(data);
        } else {
          // relaying it would leave the client's SDK failing on a parse error with no explanation
          out.error(new UpstreamException(502, "api_error", name() + " sent a stream chunk that is not JSON: "
              + preview(data), null, "invalid_upstream_response", null));
        }
      });

      @Override
      public void decode(Buffer bytes, Emitter emitter) {
        this.out = emitter;
        parser.feed(bytes);
      }

      @Override
      public void finish(Emitter emitter) {
        this.out = emitter;
        parser.finish();
        if (sawDone) {
          return;
        }
        if (sawFinishReason) {
          out.end();
        } else {
          out.error(OpenAiShapes.unfinished(name(), sawEvent));
        }
      }
    };
  }
}
