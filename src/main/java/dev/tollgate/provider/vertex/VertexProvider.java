package dev.tollgate.provider.vertex;

import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.gemini.GeminiProvider;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;

/**
 * Vertex AI ({@code vertex_ai/}): Gemini's bodies on {@code
 * {location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}},
 * authenticated with an OAuth token minted from {@code vertex_credentials}.
 */
public final class VertexProvider extends GeminiProvider {
  private final ServiceAccountTokens tokens;

  public VertexProvider(ProviderContext ctx) {
    super(ctx, "Vertex AI");
    this.tokens = new ServiceAccountTokens(ctx);
  }

  @Override
  protected boolean embedsWithPredict() {
    return true;
  }

  @Override
  protected Future<Target> target(UpstreamCall call, String method) {
    Deployment d = call.deployment();
    String project = d.litellmParams().path("vertex_project").asText("");
    if (project.isEmpty()) {
      return Future.failedFuture(UpstreamException.of(400, "Vertex AI: set vertex_project in litellm_params (or VERTEXAI_PROJECT)"));
    }
    String location = d.litellmParams().path("vertex_location").asText("us-central1");
    String base = d.litellmParams().hasNonNull("api_base") ? d.apiBase()
        : location.equals("global") ? "https://aiplatform.googleapis.com" : "https://" + location + "-aiplatform.googleapis.com";
    String url = base + "/v1/projects/" + project + "/locations/" + location + "/publishers/google/models/" + d.upstreamModel() + ":" + method;
    MultiMap headers = UpstreamHttp.jsonHeaders(call);
    String credentials = d.litellmParams().path("vertex_credentials").asText("");
    if (credentials.isEmpty()) {
      if (d.apiKey() == null) {
        return Future.failedFuture(UpstreamException.of(401,
            "Vertex AI: no vertex_credentials (a service-account key file or its JSON) and no api_key (an access token)"));
      }
      headers.set("authorization", "Bearer " + d.apiKey());
      return Future.succeededFuture(new Target(url, headers));
    }
    return tokens.token(credentials).map(token -> {
      headers.set("authorization", "Bearer " + token);
      return new Target(url, headers);
    });
  }
}
