package dev.tollgate.provider.vertex;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.ProviderContext;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OAuth access tokens minted from a Google service-account key: a JWT signed RS256 with the
 * account's private key, exchanged at its {@code token_uri}. Tokens are shared by all event loops
 * and reused until a minute before they expire; one event loop asks for a token at most once at a time.
 */
public final class ServiceAccountTokens {
  static final String SCOPE = "https://www.googleapis.com/auth/cloud-platform";
  private static final long REFRESH_EARLY_MILLIS = 60_000;
  private static final Map<String, Token> CACHE = new ConcurrentHashMap<>();

  private record Token(String value, long expiresAtMillis) {}

  private final ProviderContext ctx;
  private final Map<String, Future<String>> inFlight = new HashMap<>();

  public ServiceAccountTokens(ProviderContext ctx) {
    this.ctx = ctx;
  }

  /** A valid access token for {@code credentials} (a key file path or the key JSON itself). */
  public Future<String> token(String credentials) {
    Token t = CACHE.get(credentials);
    if (t != null && System.currentTimeMillis() < t.expiresAtMillis - REFRESH_EARLY_MILLIS) {
      return Future.succeededFuture(t.value);
    }
    Future<String> pending = inFlight.get(credentials);
    if (pending != null) {
      return pending;
    }
    Future<String> f = mint(credentials).onComplete(ar -> inFlight.remove(credentials));
    if (!f.isComplete()) {
      inFlight.put(credentials, f);
    }
    return f;
  }

  private record Grant(String tokenUri, String form) {}

  private Future<String> mint(String credentials) {
    return ctx.vertx().executeBlocking(() -> grant(credentials), false)
        .recover(e -> Future.failedFuture(e instanceof UpstreamException ? e
            : UpstreamException.of(401, "Vertex AI: vertex_credentials could not be used: " + e.getMessage())))
        .compose(g -> ctx.http().request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(g.tokenUri())
                .setHeaders(MultiMap.caseInsensitiveMultiMap().add("content-type", "application/x-www-form-urlencoded")))
            .compose(req -> req.send(Buffer.buffer(g.form())))
            .compose(res -> res.body().map(body -> {
              JsonNode json = Json.tryParse(body);
              if (res.statusCode() != 200 || json == null || !json.hasNonNull("access_token")) {
                throw UpstreamException.of(401, "Vertex AI: the token endpoint refused the service account (HTTP "
                    + res.statusCode() + ")" + (json != null && json.has("error_description") ? ": " + json.get("error_description").asText() : ""));
              }
              String token = json.get("access_token").asText();
              CACHE.put(credentials, new Token(token, System.currentTimeMillis() + json.path("expires_in").asLong(3600) * 1000));
              return token;
            }))
            .recover(e -> Future.failedFuture(e instanceof UpstreamException ? e
                : UpstreamException.unreachable("Vertex AI: token endpoint unreachable: " + e.getMessage()))));
  }

  /** Reads the key (file or inline JSON) and signs the JWT assertion: off the event loop. */
  private static Grant grant(String credentials) throws Exception {
    String raw = credentials.trim().startsWith("{") ? credentials : Files.readString(Path.of(credentials));
    JsonNode key = Json.MAPPER.readTree(raw);
    String email = key.path("client_email").asText();
    String tokenUri = key.path("token_uri").asText("https://oauth2.googleapis.com/token");
    if (email.isEmpty() || !key.hasNonNull("private_key")) {
      throw UpstreamException.of(401, "Vertex AI: vertex_credentials is not a service-account key (client_email and private_key needed)");
    }
    long now = System.currentTimeMillis() / 1000;
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String claims = b64.encodeToString(Json.MAPPER.writeValueAsBytes(Json.object().put("iss", email).put("scope", SCOPE)
        .put("aud", tokenUri).put("iat", now).put("exp", now + 3600)));
    Signature rsa = Signature.getInstance("SHA256withRSA");
    rsa.initSign(privateKey(key.get("private_key").asText()));
    rsa.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
    String jwt = header + "." + claims + "." + b64.encodeToString(rsa.sign());
    return new Grant(tokenUri, "grant_type=" + URLEncoder.encode("urn:ietf:params:oauth:grant-type:jwt-bearer", StandardCharsets.UTF_8)
        + "&assertion=" + jwt);
  }

  private static PrivateKey privateKey(String pem) throws Exception {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }
}
