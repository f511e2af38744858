package dev.tollgate.provider.gemini;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;

/**
 * Google AI Studio ({@code gemini/}): {@code models/{model}:generateContent}, {@code
 * :streamGenerateContent?alt=sse} and {@code :batchEmbedContents}, key in {@code x-goog-api-key}.
 * Vertex AI speaks the same bodies on other URLs with OAuth ({@link #target} is the difference).
 */
public class GeminiProvider implements Provider {
  protected final ProviderContext ctx;
  private final String name;
  private final GeminiResponses wire;

  public GeminiProvider(ProviderContext ctx) {
    this(ctx, "Gemini");
  }

  protected GeminiProvider(ProviderContext ctx, String name) {
    this.ctx = ctx;
    this.name = name;
    this.wire = new GeminiResponses(name);
  }

  /** Where a call goes: the URL of one method ({@code generateContent}, ...) and its authentication headers. */
  public record Target(String url, MultiMap headers) {}

  protected Future<Target> target(UpstreamCall call, String method) {
    Deployment d = call.deployment();
    MultiMap headers = UpstreamHttp.jsonHeaders(call);
    if (d.apiKey() != null) {
      headers.set("x-goog-api-key", d.apiKey());
    }
    return Future.succeededFuture(new Target(d.apiBase() + "/models/" + d.upstreamModel() + ":" + method, headers));
  }

  /** Vertex embeds with {@code :predict}, AI Studio with {@code :batchEmbedContents}. */
  protected boolean embedsWithPredict() {
    return false;
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    ObjectNode body;
    String method;
    try {
      switch (call.endpoint()) {
        case CHAT -> {
          body = GeminiRequests.chat(call, name);
          method = call.stream() ? "streamGenerateContent?alt=sse" : "generateContent";
        }
        case EMBEDDINGS -> {
          body = embedsWithPredict() ? GeminiRequests.predictEmbed(call, name) : GeminiRequests.batchEmbed(call, name);
          method = embedsWithPredict() ? "predict" : "batchEmbedContents";
        }
        default -> throw UpstreamException.of(400, name + " does not serve /" + call.endpoint().path() + "; use /chat/completions");
      }
    } catch (UpstreamException e) {
      return Future.failedFuture(e);
    }
    return target(call, method).compose(t -> UpstreamHttp.exchange(ctx, call, t.url(), t.headers(), Json.buffer(body), wire));
  }

}
