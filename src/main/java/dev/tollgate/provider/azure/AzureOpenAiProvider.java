package dev.tollgate.provider.azure;

import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.WireFormat;
import dev.tollgate.provider.openai.OpenAiCompatibleProvider;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * {@code azure/}: Azure OpenAI speaks OpenAI's body and stream, at
 * {@code {api_base}/openai/deployments/{deployment}/{operation}?api-version=...}, authenticated by an
 * {@code api-key} header or an Entra ID token ({@code azure_ad_token}, sent as a bearer token).
 */
public final class AzureOpenAiProvider implements Provider, WireFormat {
  /** Used when neither {@code api_version} nor {@code AZURE_API_VERSION} is set: Azure's current GA version. */
  public static final String DEFAULT_API_VERSION = "2024-10-21";

  private final ProviderContext ctx;
  private final OpenAiCompatibleProvider openAi;

  public AzureOpenAiProvider(ProviderContext ctx) {
    this.ctx = ctx;
    this.openAi = new OpenAiCompatibleProvider(ctx);
  }

  @Override
  public Future<ProviderReply> send(UpstreamCall call) {
    Deployment d = call.deployment();
    MultiMap headers = UpstreamHttp.jsonHeaders(call);
    String adToken = d.litellmParams().path("azure_ad_token").asText(null);
    if (adToken != null && !adToken.isBlank() && !headers.contains("authorization")) {
      headers.set("authorization", "Bearer " + adToken);
    } else if (d.apiKey() != null && !headers.contains("api-key")) {
      headers.set("api-key", d.apiKey());
    }
    return UpstreamHttp.exchange(ctx, call, url(d, call), headers, Json.buffer(OpenAiCompatibleProvider.upstreamBody(call)), this);
  }

  @Override
  public String name() {
    return "Azure OpenAI";
  }

  @Override
  public Buffer completeResponse(UpstreamCall call, Buffer upstreamBody) {
    return openAi.completeResponse(call, upstreamBody);
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    return openAi.streamDecoder(call);
  }

  static String url(Deployment d, UpstreamCall call) {
    String version = d.apiVersion() != null ? d.apiVersion() : DEFAULT_API_VERSION;
    return d.apiBase() + "/openai/deployments/" + URLEncoder.encode(d.upstreamModel(), StandardCharsets.UTF_8)
        + "/" + call.endpoint().path() + "?api-version=" + URLEncoder.encode(version, StandardCharsets.UTF_8);
  }
}
