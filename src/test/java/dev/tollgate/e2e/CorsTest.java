package dev.tollgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.GatewayOnFakeOpenAi;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A browser page on another origin calls the API, as it can call LiteLLM's (which allows every origin). */
class CorsTest {
  static final String ORIGIN = "https://chat.example.org";

  @RegisterExtension
  static final GatewayOnFakeOpenAi gw = new GatewayOnFakeOpenAi(apiBase -> EdgeCaseTest.config(apiBase, ""));

  @Test
  void aPreflightIsAnsweredByTheGatewayWithTheHeadersTheBrowserAsksFor() {
    int before = gw.upstream.requestCount();
    HttpResponse<String> r = TestGateway.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, content-type, x-stainless-os")
        .build());
    assertThat(r.statusCode()).isBetween(200, 204);
    assertThat(r.headers().firstValue("access-control-allow-origin")).hasValueSatisfying(v -> assertThat(v).isIn("*", ORIGIN));
    assertThat(r.headers().firstValue("access-control-allow-methods")).hasValueSatisfying(v -> assertThat(v).contains("POST"));
    assertThat(r.headers().firstValue("access-control-allow-headers")).hasValueSatisfying(v -> assertThat(v).contains("authorization"));
    assertThat(gw.upstream.requestCount()).isEqualTo(before);
  }

  @Test
  void answersAndErrorsCarryTheOriginHeaderSoThePageCanReadThem() {
    for (String key : new String[] {TestGateway.MASTER_KEY, "sk-wrong"}) {
      HttpResponse<String> r = TestGateway.send(HttpRequest.newBuilder(URI.create(gw.gateway.url() + "/v1/chat/completions"))
          .header("Origin", ORIGIN)
          .header("Authorization", "Bearer " + key)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(EdgeCaseTest.CHAT))
          .build());
      assertThat(r.statusCode()).isEqualTo(key.equals(TestGateway.MASTER_KEY) ? 200 : 401);
      assertThat(r.headers().firstValue("access-control-allow-origin")).as(key).isPresent();
    }
  }
}
