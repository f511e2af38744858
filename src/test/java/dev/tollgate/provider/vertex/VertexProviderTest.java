package dev.tollgate.provider.vertex;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeGemini;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TranslatedProviderContract;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Vertex AI through the contract, with a fake OAuth token endpoint that verifies the RS256 JWT
 * against the public half of a key generated here, and Vertex routes that accept only its token.
 */
class VertexProviderTest extends TranslatedProviderContract {
  private static final KeyPair KEYS = keys();
  private static final String PREFIX = "/v1/projects/proj-1/locations/europe-west4/publishers/google";
  private final AtomicInteger tokensIssued = new AtomicInteger();

  private static KeyPair keys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void installFake(FakeUpstream up) {
    up.onPost("/token", rc -> {
      String form = rc.body().asString();
      String assertion = URLDecoder.decode(form.replaceAll(".*assertion=([^&]*).*", "$1"), StandardCharsets.UTF_8);
      boolean valid = form.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") && verify(assertion);
      if (!valid) {
        rc.response().setStatusCode(400).end("{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}");
        return;
      }
      rc.response().putHeader("content-type", "application/json")
          .end("{\"access_token\":\"ya29.fake-" + tokensIssued.incrementAndGet() + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
    });
    up.onPostRegex(".*/publishers/google/.*", rc -> {
      if (!"Bearer ya29.fake-1".equals(rc.request().getHeader("authorization"))) {
        rc.response().setStatusCode(401).end("{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\",\"status\":\"UNAUTHENTICATED\"}}");
        return;
      }
      rc.next();
    });
    FakeGemini.install(up, PREFIX);
  }

  private static boolean verify(String jwt) {
    try {
      String[] parts = jwt.split("\\.");
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initVerify(KEYS.getPublic());
      rsa.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
      return rsa.verify(Base64.getUrlDecoder().decode(parts[2]))
          && claims.path("scope").asText().equals("https://www.googleapis.com/auth/cloud-platform")
          && claims.path("aud").asText().endsWith("/token") && claims.path("iss").asText().equals("sa@proj-1.iam.gserviceaccount.com");
    } catch (Exception e) {
      return false;
    }
  }

  private String serviceAccountJson(String tokenUri) throws Exception {
    String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(KEYS.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    return JSON.writeValueAsString(JSON.createObjectNode().put("type", "service_account").put("project_id", "proj-1")
        .put("private_key", pem).put("client_email", "sa@proj-1.iam.gserviceaccount.com").put("token_uri", tokenUri));
  }

  @Override
  protected String litellmParams(String upstreamModel, String upstreamUrl) {
    try {
      return "      model: vertex_ai/" + upstreamModel + "\n      api_base: " + upstreamUrl
          + "\n      vertex_project: proj-1\n      vertex_location: europe-west4\n      vertex_credentials: '"
          + serviceAccountJson(upstreamUrl + "/token").replace("'", "''") + "'";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void assertNativeChatRequest(FakeUpstream.Recorded r) throws Exception {
    assertThat(r.path()).isEqualTo(PREFIX + "/models/fake-model:generateContent");
    JsonNode body = JSON.readTree(r.bodyString());
    assertThat(body.path("systemInstruction").path("parts").path(0).path("text").asText()).isEqualTo("Be brief.");
    assertThat(body.path("generationConfig").path("maxOutputTokens").asInt()).isEqualTo(50);
  }

  @Override
  protected void assertNativeToolResults(FakeUpstream.Recorded r) throws Exception {
    assertThat(JSON.readTree(r.bodyString()).path("contents").path(2).path("parts").path(1).path("functionResponse")
        .path("response").path("temp").asText()).isEqualTo("Tokyo-21C");
  }

  @Test
  void oneTokenServesManyCallsUntilItExpires() {
    for (int i = 0; i < 3; i++) {
      assertThat(gateway.post("/v1/chat/completions", chat("fake-model", false)).statusCode()).isEqualTo(200);
    }
    assertThat(upstream.received().stream().filter(r -> r.path().equals("/token")).count()).isEqualTo(1);
  }

  @Test
  void aKeyTheTokenEndpointRefusesIsAnAuthenticationError() throws Exception {
    KeyPair other = keys();
    String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(other.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    String sa = JSON.writeValueAsString(JSON.createObjectNode().put("type", "service_account").put("private_key", pem)
        .put("client_email", "sa@proj-1.iam.gserviceaccount.com").put("token_uri", upstream.url() + "/token"));
    try (dev.tollgate.testing.TestGateway gw = dev.tollgate.testing.TestGateway.start("model_list:\n  - model_name: v\n    litellm_params:\n"
        + "      model: vertex_ai/fake-model\n      api_base: " + upstream.url() + "\n      vertex_project: proj-1\n      vertex_credentials: '"
        + sa.replace("'", "''") + "'\n")) {
      java.net.http.HttpResponse<String> r = gw.post("/v1/chat/completions", chat("v", false));
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(JSON.readTree(r.body()).path("error").path("message").asText()).contains("token endpoint refused").doesNotContain("PRIVATE KEY");
    }
  }
}
