package dev.tollgate.call;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.Principal;
import dev.tollgate.json.OutputCounter;
import dev.tollgate.provider.Cancellation;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.TokenEstimate;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One client request on its way through the gateway: what was asked, by whom, which deployment
 * answered, and the hooks that want to see the outcome (spend, metrics). Confined to one event loop.
 */
public final class ProxyCall {
  public final String callId;
  public final Endpoint endpoint;
  public final String modelGroup;
  public final ObjectNode body;
  public final boolean stream;
  public final Principal principal;
  public final MultiMap requestHeaders;
  public final Cancellation cancellation = new Cancellation();
  public final long startNanos;
  /** Headers the interceptors want on the client's response. */
  public final MultiMap responseHeaders = MultiMap.caseInsensitiveMultiMap();

  /** The deployment of the latest attempt. */
  public Deployment deployment;
  /** Nanoseconds spent waiting on upstreams, over all attempts (the rest is the gateway's overhead). */
  public long upstreamNanos;
  public int attemptedRetries;
  public int attemptedFallbacks;
  /** Token usage, once known (from the response body or the stream's usage chunk). */
  public Usage usage;
  /** Answered by the response cache, not by a provider. */
  public boolean cacheHit;
  /**
   * Cost in USD of this call, set by spend accounting once usage is known (before the completion
   * hooks of later interceptors run); 0 when unknown or not accounted.
   */
  public double responseCost;

  private String endUser;
  private boolean endUserRead;
  /** Chunks relayed to the client so far, and the model output in them (streams only). */
  private int relayedChunks;
  private final OutputCounter relayedOutput;
  private List<Consumer<Buffer>> chunkObservers;
  private List<Consumer<Outcome>> completionHooks;

  public ProxyCall(String callId, Endpoint endpoint, String modelGroup, ObjectNode body, boolean stream,
      Principal principal, MultiMap requestHeaders, long startNanos) {
    this.callId = callId;
    this.endpoint = endpoint;
    this.modelGroup = modelGroup;
    this.body = body;
    this.stream = stream;
    this.principal = principal;
    this.requestHeaders = requestHeaders;
    this.startNanos = startNanos;
    this.relayedOutput = stream ? new OutputCounter() : null;
  }

  /** Sees every streamed chunk payload as it goes to the client (e.g. to find the usage block). */
  public void observeChunks(Consumer<Buffer> observer) {
    if (chunkObservers == null) {
      chunkObservers = new ArrayList<>(2);
    }
    chunkObservers.add(observer);
  }

  /** Runs once when the response is complete, failed, or abandoned by the client. */
  public void onComplete(Consumer<Outcome> hook) {
    if (completionHooks == null) {
      completionHooks = new ArrayList<>(2);
    }
    completionHooks.add(hook);
  }

  public void chunkSent(Buffer chunk) {
    relayedChunks++;
    if (relayedOutput != null) {
      relayedOutput.add(chunk); // from the bytes: no parse, no allocation
    }
    if (chunkObservers != null) {
      for (Consumer<Buffer> o : chunkObservers) {
        o.accept(chunk);
      }
    }
  }

  /**
   * The usage of a stream that settles without any from its upstream (it ended without the usage
   * chunk, the client left, the upstream broke off): the request's prompt estimated as it is for
   * reservations, and the output relayed to the client so far, both at about four characters a
   * token ({@link TokenEstimate}). Null for a call that is not a stream or relayed nothing.
   */
  public Usage estimatedStreamUsage() {
    if (relayedOutput == null || relayedChunks == 0) {
      return null;
    }
    return new Usage(TokenEstimate.ofRequest(body), TokenEstimate.ofCharacters(relayedOutput.chars()), 0, 0, 0);
  }

  public void complete(Outcome outcome) {
    if (completionHooks != null) {
      List<Consumer<Outcome>> hooks = completionHooks;
      completionHooks = null;
      for (Consumer<Outcome> h : hooks) {
        h.accept(outcome);
      }
    }
  }

  /**
   * How a call ended: HTTP status sent, the whole JSON body for non-streamed successes (null
   * otherwise), the error if any.
   */
  public record Outcome(int status, Buffer body, ApiError error, boolean clientDisconnected) {}

  /**
   * The end user (customer) the call is for, or null: the {@code x-litellm-customer-id} header,
   * else the body's {@code user} — LiteLLM's order. Spend tracking and metrics both count this one.
   */
  public String endUser() {
    if (!endUserRead) {
      endUser = endUserOf(requestHeaders, body);
      endUserRead = true;
    }
    return endUser;
  }

  /** {@link #endUser()} of a request that did not become a call (body may be null). */
  public static String endUserOf(MultiMap headers, com.fasterxml.jackson.databind.JsonNode body) {
    String header = headers == null ? null : headers.get(CallHeaders.CUSTOMER_ID);
    if (header != null) {
      return header;
    }
    com.fasterxml.jackson.databind.JsonNode user = body == null ? null : body.get("user");
    return user != null && user.isTextual() ? user.asText() : null;
  }

  /** Whether the client asked for the usage chunk at the end of a stream ({@code stream_options.include_usage}). */
  public boolean clientWantsStreamUsage() {
    return body.path("stream_options").path("include_usage").asBoolean(false);
  }
}
