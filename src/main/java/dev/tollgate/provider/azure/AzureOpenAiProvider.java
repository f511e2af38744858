package dev.tollgate.provider.azure;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Provider;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.UpstreamCall;
import dev.tollgate.provider.StreamDecoder;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.UpstreamHttp;
import dev.tollgate.provider.UsageEstimatingDecoder;
import dev.tollgate.provider.WireFormat;
import dev.tollgate.provider.openai.OpenAiCompatibleProvider;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * {@code azure/}: Azure OpenAI speaks OpenAI's body and stream, at
 * {@code {api_base}/openai/deployments/{deployment}/{operation}?api-version=...}, authenticated by an
 * {@code api-key} header or an Entra ID token ({@code azure_ad_token}, sent as a bearer token).
 */
public final class AzureOpenAiProvider implements Provider, WireFormat {
  /** Used when neither {@code api_version} nor {@code AZURE_API_VERSION} is set: Azure's current GA version. */
  public static final String DEFAULT_API_VERSION = "2024-10-21";
  private static final Pattern DATED_VERSION = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

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
    ObjectNode body = OpenAiCompatibleProvider.upstreamBody(call, acceptsStreamOptions(version(d)));
    return UpstreamHttp.exchange(ctx, call, url(d, call), headers, Json.buffer(body), this);
  }

  /**
   * Azure takes {@code stream_options} from api-version 2024-09-01-preview on (and in the v1 API,
   * whose versions are not dates); earlier versions, still common in configs, answer 400
   * "Unrecognized request argument supplied: stream_options". Their streams are then billed on an
   * estimate.
   */
  static boolean acceptsStreamOptions(String apiVersion) {
    return !DATED_VERSION.matcher(apiVersion).lookingAt() || apiVersion.compareTo("2024-09-01") >= 0;
  }

  private static String version(Deployment d) {
    return d.apiVersion() != null ? d.apiVersion() : DEFAULT_API_VERSION;
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
  public boolean isStream(String contentType) {
    return openAi.isStream(contentType);
  }

  @Override
  public UpstreamException notAStream(UpstreamCall call, Buffer body) {
    return openAi.notAStream(call, body);
  }

  @Override
  public StreamDecoder streamDecoder(UpstreamCall call) {
    StreamDecoder decoder = openAi.streamDecoder(call);
    return acceptsStreamOptions(version(call.deployment())) ? decoder : new UsageEstimatingDecoder(decoder, call.body());
  }

  static String url(Deployment d, UpstreamCall call) {
    String version = version(d);
    return d.apiBase() + "/openai/deployments/" + URLEncoder.encode(d.upstreamModel(), StandardCharsets.UTF_8)
        + "/" + call.endpoint().path() + "?api-version=" + URLEncoder.encode(version, StandardCharsets.UTF_8);
  }
}
