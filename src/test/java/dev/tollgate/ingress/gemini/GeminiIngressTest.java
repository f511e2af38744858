package dev.tollgate.ingress.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.testing.FakeAnswer;
import dev.tollgate.testing.FakeOllama;
import dev.tollgate.testing.GatewayOnFakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Gemini-format clients in front of a non-Gemini model (Ollama's /api/chat here), both ways translated. */
class GeminiIngressTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension
  static final GatewayOnFakeUpstream gw = new GatewayOnFakeUpstream(FakeOllama::install, GeminiIngressTest::config);

  private static String config(String url) {
    StringBuilder yaml = new StringBuilder("model_list:\n");
    for (String[] m : new String[][] {{"llama", "llama3"}, {"limited", "ratelimit-model"}, {"cut", "truncated-model"}}) {
      yaml.append("  - model_name: ").append(m[0]).append("\n    litellm_params: {model: ollama_chat/").append(m[1])
          .append(", api_base: ").append(url).append("}\n");
    }
    return yaml + "litellm_settings: {num_retries: 0}\n";
  }

  private static HttpResponse<String> post(String path, String body, String header, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.gateway.url() + path)).timeout(Duration.ofSeconds(20))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (header != null) {
      b.header(header, key);
    }
    return TestGateway.send(b.build());
  }

  private static HttpResponse<String> post(String path, String body) {
    return post(path, body, "x-goog-api-key", TestGateway.MASTER_KEY);
  }

  private static final String ASK = """
      {"systemInstruction": {"parts": [{"text": "Be brief."}]},
       "contents": [{"role": "user", "parts": [{"text": "Gemini client"}]}],
       "generationConfig": {"temperature": 0.3, "maxOutputTokens": 40, "stopSequences": ["END"]}}""";

  private static final String TOOLS = """
      "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather of a city",
        "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}}]}]""";

  @Test
  void generateContentAnswersInGeminiShape() throws Exception {
    HttpResponse<String> r = post("/v1beta/models/llama:generateContent", ASK);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    JsonNode candidate = body.path("candidates").path(0);
    assertThat(candidate.path("content").path("role").asText()).isEqualTo("model");
    assertThat(candidate.path("content").path("parts").path(0).path("text").asText()).isEqualTo("Hello, Gemini client");
    assertThat(candidate.path("finishReason").asText()).isEqualTo("STOP");
    assertThat(body.path("usageMetadata").path("promptTokenCount").asInt()).isEqualTo(FakeAnswer.PROMPT_TOKENS);
    assertThat(body.path("usageMetadata").path("totalTokenCount").asInt()).isEqualTo(FakeAnswer.PROMPT_TOKENS + FakeAnswer.COMPLETION_TOKENS);

    JsonNode upstreamBody = JSON.readTree(gw.upstream.last().bodyString());
    assertThat(upstreamBody.path("messages").path(0).path("content").asText()).isEqualTo("Be brief.");
    assertThat(upstreamBody.path("options").path("num_predict").asInt()).isEqualTo(40);
    assertThat(upstreamBody.path("options").path("stop").path(0).asText()).isEqualTo("END");
  }

  @Test
  void streamGenerateContentWithAltSseStreamsEvents() throws Exception {
    HttpResponse<String> r = post("/v1beta/models/llama:streamGenerateContent?alt=sse", ASK);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).contains("text/event-stream");
    List<JsonNode> events = new ArrayList<>();
    for (String e : r.body().split("\r\n\r\n")) {
      if (e.startsWith("data: ")) {
        events.add(JSON.readTree(e.substring(6)));
      }
    }
    StringBuilder text = new StringBuilder();
    events.forEach(e -> e.path("candidates").path(0).path("content").path("parts").forEach(p -> text.append(p.path("text").asText())));
    assertThat(events.size()).isGreaterThanOrEqualTo(3);
    assertThat(text.toString()).isEqualTo("Hello, Gemini client");
    JsonNode last = events.get(events.size() - 1);
    assertThat(last.path("candidates").path(0).path("finishReason").asText()).isEqualTo("STOP");
    assertThat(last.path("usageMetadata").path("candidatesTokenCount").asInt()).isEqualTo(FakeAnswer.COMPLETION_TOKENS);
  }

  @Test
  void streamGenerateContentWithoutAltIsAJsonArray() throws Exception {
    HttpResponse<String> r = post("/v1beta/models/llama:streamGenerateContent", ASK);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode array = JSON.readTree(r.body());
    assertThat(array.isArray()).isTrue();
    assertThat(array.get(array.size() - 1).path("candidates").path(0).path("finishReason").asText()).isEqualTo("STOP");
  }

  @Test
  void functionCallsAndFunctionResponsesRoundTrip() throws Exception {
    String ask = "{\"contents\": [{\"role\": \"user\", \"parts\": [{\"text\": \"Weather?\"}]}], " + TOOLS + "}";
    JsonNode first = JSON.readTree(post("/v1beta/models/llama:generateContent", ask).body());
    JsonNode parts = first.path("candidates").path(0).path("content").path("parts");
    assertThat(parts).hasSize(2);
    assertThat(parts.path(0).path("functionCall").path("name").asText()).isEqualTo("get_weather");
    assertThat(parts.path(1).path("functionCall").path("args").path("city").asText()).isEqualTo("Tokyo");
    assertThat(JSON.readTree(gw.upstream.last().bodyString()).path("tools").path(0).path("function").path("parameters")
        .path("properties").path("city").path("type").asText()).isEqualTo("string");

    String answer = """
        {"contents": [{"role": "user", "parts": [{"text": "Weather?"}]},
          {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                                      {"functionCall": {"name": "get_weather", "args": {"city": "Tokyo"}}}]},
          {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": "21C"}}},
                                     {"functionResponse": {"name": "get_weather", "response": {"temp": "25C"}}}]}],
        """ + TOOLS + "}";
    JsonNode second = JSON.readTree(post("/v1beta/models/llama:generateContent", answer).body());
    assertThat(second.path("candidates").path(0).path("content").path("parts").path(0).path("text").asText())
        .startsWith("Results: ").contains("21C", "25C");
  }

  @Test
  void streamedFunctionCallsArriveWhole() throws Exception {
    String ask = "{\"contents\": [{\"role\": \"user\", \"parts\": [{\"text\": \"Weather?\"}]}], " + TOOLS + "}";
    String body = post("/v1beta/models/llama:streamGenerateContent?alt=sse", ask).body();
    String[] events = body.strip().split("\r\n\r\n");
    JsonNode last = JSON.readTree(events[events.length - 1].substring(6));
    assertThat(last.path("candidates").path(0).path("content").path("parts").findValues("functionCall")).hasSize(2);
  }

  @Test
  void keyInQueryWorksAndBadKeysAndModelsAreRefused() throws Exception {
    assertThat(post("/v1beta/models/llama:generateContent?key=" + TestGateway.MASTER_KEY, ASK, null, null).statusCode()).isEqualTo(200);
    assertThat(post("/v1beta/models/llama:generateContent?key=sk-wrong", ASK, null, null).statusCode()).isEqualTo(401);
    HttpResponse<String> unknown = post("/v1beta/models/nope:generateContent", ASK);
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(unknown.body()).path("error").path("status").asText()).isEqualTo("INVALID_ARGUMENT");
    assertThat(post("/v1beta/models/llama:generateContent", "{not json").statusCode()).isEqualTo(400);
  }

  @Test
  void upstreamFailuresAnswerInGooglesErrorShape() throws Exception {
    HttpResponse<String> limited = post("/v1beta/models/limited:generateContent", ASK);
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(JSON.readTree(limited.body()).path("error").path("status").asText()).isEqualTo("RESOURCE_EXHAUSTED");

    HttpResponse<String> cut = post("/v1beta/models/cut:streamGenerateContent?alt=sse", ASK);
    String[] events = cut.body().strip().split("\r\n\r\n");
    JsonNode last = JSON.readTree(events[events.length - 1].substring(6));
    assertThat(last.path("error").path("code").asInt()).isEqualTo(502);
    assertThat(last.path("error").path("message").asText()).contains("ended before");
  }
}
