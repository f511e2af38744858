package dev.tollgate.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.testing.FakeGemini;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TranslatedProviderContract;
import org.junit.jupiter.api.Test;

class GeminiProviderTest extends TranslatedProviderContract {
  @Override
  protected void installFake(FakeUpstream up) {
    FakeGemini.install(up, "/v1beta");
  }

  @Override
  protected String litellmParams(String upstreamModel, String upstreamUrl) {
    return "      model: gemini/" + upstreamModel + "\n      api_base: " + upstreamUrl + "/v1beta\n      api_key: gm-key";
  }

  @Override
  protected void assertNativeChatRequest(FakeUpstream.Recorded r) throws Exception {
    assertThat(r.path()).isEqualTo("/v1beta/models/fake-model:generateContent");
    assertThat(r.headers().get("x-goog-api-key")).isEqualTo("gm-key");
    JsonNode body = JSON.readTree(r.bodyString());
    assertThat(body.path("systemInstruction").path("parts").path(0).path("text").asText()).isEqualTo("Be brief.");
    assertThat(body.path("contents").path(0).path("role").asText()).isEqualTo("user");
    assertThat(body.path("generationConfig").path("temperature").asDouble()).isEqualTo(0.2);
    assertThat(body.path("generationConfig").path("maxOutputTokens").asInt()).isEqualTo(50);
    assertThat(body.path("generationConfig").path("stopSequences").path(0).asText()).isEqualTo("END");
  }

  @Override
  protected void assertNativeToolResults(FakeUpstream.Recorded r) throws Exception {
    JsonNode contents = JSON.readTree(r.bodyString()).path("contents");
    assertThat(contents.path(1).path("role").asText()).isEqualTo("model");
    assertThat(contents.path(1).path("parts").path(0).path("functionCall").path("name").asText()).isEqualTo("get_weather");
    JsonNode results = contents.path(2).path("parts");
    assertThat(results).hasSize(2);
    assertThat(results.path(0).path("functionResponse").path("name").asText()).isEqualTo("get_weather");
    assertThat(results.path(1).path("functionResponse").path("response").path("temp").asText()).isEqualTo("Tokyo-21C");
  }

  @Test
  void googlesRetryDelayBecomesRetryAfter() {
    java.net.http.HttpResponse<String> r = gateway.post("/v1/chat/completions",
        "{\"model\":\"ratelimit-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("retry-after")).hasValue("12");
  }

  @Test
  void jsonModeThoughtsAndToolChoiceUseGeminisFields() throws Exception {
    java.net.http.HttpResponse<String> r = gateway.post("/v1/chat/completions", """
        {"model": "fake-model", "messages": [{"role": "user", "content": "json please"}],
         "response_format": {"type": "json_object"}, "reasoning_effort": "low",
         "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "additionalProperties": false}}}],
         "tool_choice": {"type": "function", "function": {"name": "f"}}}""");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).path("choices").path(0).path("message").path("reasoning_content").asText()).isEqualTo("thinking...");
    JsonNode sent = JSON.readTree(upstream.last().bodyString());
    assertThat(sent.path("generationConfig").path("responseMimeType").asText()).isEqualTo("application/json");
    assertThat(sent.path("generationConfig").path("thinkingConfig").path("thinkingBudget").asInt()).isEqualTo(1024);
    assertThat(sent.path("toolConfig").path("functionCallingConfig").path("allowedFunctionNames").path(0).asText()).isEqualTo("f");
    assertThat(sent.path("tools").path(0).path("functionDeclarations").path(0).path("parameters").has("additionalProperties")).isFalse();
  }

  @Test
  void aClientThatGoesAwayClosesTheUpstreamStream() throws Exception {
    java.util.concurrent.CompletableFuture<Void> upstreamClosed = new java.util.concurrent.CompletableFuture<>();
    upstream.onPostRegex("/held/models/held:streamGenerateContent", rc -> {
      rc.response().setChunked(true).putHeader("content-type", "text/event-stream")
          .write("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hi\"}]}}]}\r\n\r\n");
      rc.request().connection().closeHandler(v -> upstreamClosed.complete(null));
    });
    try (dev.tollgate.testing.TestGateway gw = dev.tollgate.testing.TestGateway.start("model_list:\n  - model_name: h\n    litellm_params: "
        + "{model: gemini/held, api_key: k, api_base: " + upstream.url() + "/held}\n")) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", gw.port())) {
        String body = chat("h", true);
        s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + dev.tollgate.testing.TestGateway.MASTER_KEY
            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes());
        byte[] buf = new byte[4096];
        String got = "";
        while (!got.contains("\"hi\"")) {
          int n = s.getInputStream().read(buf);
          assertThat(n).isPositive();
          got += new String(buf, 0, n);
        }
      }
      upstreamClosed.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
