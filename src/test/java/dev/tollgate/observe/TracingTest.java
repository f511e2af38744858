package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Spans reach an in-test OTLP/HTTP collector with GenAI attributes; traceparent goes upstream. */
class TracingTest {
  static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PROMPT = "the-secret-prompt-text";

  FakeUpstream upstream;
  FakeUpstream collector;
  final List<byte[]> exports = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    upstream = LlmUpstream.start();
    collector = FakeUpstream.start().onPost("/v1/traces", rc -> {
      exports.add(rc.body().buffer().getBytes());
      rc.response().putHeader("content-type", "application/x-protobuf").end();
    });
  }

  @AfterEach
  void stop() {
    upstream.close();
    collector.close();
  }

  /** One chat call with the client's traceparent; returns every span the gateway exported (flushed on stop). */
  List<Span> traceOneCall(boolean messageLoggingOff) throws Exception {
    String yaml = PrometheusMetricsTest.yaml(upstream, "  callbacks: [\"otel\"]\n  turn_off_message_logging: " + messageLoggingOff)
        .replace("  callbacks: [\"prometheus\"]\n", "");
    try (TestGateway gateway = TestGateway.start(yaml, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url(),
        "OTEL_BSP_SCHEDULE_DELAY", "50"))) {
      var r = TestGateway.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions"))
          .timeout(Duration.ofSeconds(30)).header("authorization", "Bearer " + TestGateway.MASTER_KEY)
          .header("traceparent", "00-" + CLIENT_TRACE + "-00f067aa0ba902b7-01")
          .POST(HttpRequest.BodyPublishers.ofString(LlmUpstream.chat(PROMPT, false))).build());
      assertThat(r.statusCode()).isEqualTo(200);
    }
    List<Span> spans = new java.util.ArrayList<>();
    for (byte[] export : exports) {
      ExportTraceServiceRequest req = ExportTraceServiceRequest.parseFrom(export);
      req.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> spans.addAll(ss.getSpansList())));
    }
    return spans;
  }

  static Optional<String> attr(Span span, String key) {
    return span.getAttributesList().stream().filter(kv -> kv.getKey().equals(key)).findFirst().map(TracingTest::value);
  }

  static String value(KeyValue kv) {
    var v = kv.getValue();
    return switch (v.getValueCase()) {
      case INT_VALUE -> Long.toString(v.getIntValue());
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
      default -> v.getStringValue();
    };
  }

  static Span named(List<Span> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no span " + name + " in " + spans.stream().map(Span::getName).toList()));
  }

  static String hex(com.google.protobuf.ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  @Test
  void gatewayRouterAndAttemptSpansWithGenAiAttributesAndTraceparentUpstream() throws Exception {
    List<Span> spans = traceOneCall(false);
    Span gateway = named(spans, "chat gpt-test");
    Span router = named(spans, "router gpt-test");
    Span attempt = named(spans, "chat gpt-4o-mini");
    assertThat(hex(gateway.getTraceId())).isEqualTo(CLIENT_TRACE);
    assertThat(hex(gateway.getParentSpanId())).isEqualTo("00f067aa0ba902b7");
    assertThat(gateway.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(router.getParentSpanId()).isEqualTo(gateway.getSpanId());
    assertThat(attempt.getParentSpanId()).isEqualTo(router.getSpanId());
    assertThat(attempt.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
    assertThat(attr(gateway, "gen_ai.operation.name")).contains("chat");
    assertThat(attr(gateway, "gen_ai.request.model")).contains("gpt-test");
    assertThat(attr(gateway, "gen_ai.system")).contains("openai");
    assertThat(attr(gateway, "gen_ai.response.model")).contains("gpt-4o-mini");
    assertThat(attr(gateway, "gen_ai.usage.input_tokens")).contains("10");
    assertThat(attr(gateway, "gen_ai.usage.output_tokens")).contains("5");
    assertThat(attr(gateway, "http.response.status_code")).contains("200");
    assertThat(attr(gateway, "gen_ai.prompt.0.content")).contains(PROMPT);
    assertThat(attr(gateway, "gen_ai.completion.0.content")).contains("the-answer-text");
    assertThat(attr(attempt, "gen_ai.system")).contains("openai");
    assertThat(attr(attempt, "gen_ai.request.model")).contains("gpt-4o-mini");
    // the upstream saw the attempt's context
    assertThat(upstream.last().headers().get("traceparent"))
        .isEqualTo("00-" + CLIENT_TRACE + "-" + hex(attempt.getSpanId()) + "-01");
  }

  @Test
  void noPromptOrCompletionOrSecretInTracesWhenMessageLoggingIsOff() throws Exception {
    List<Span> spans = traceOneCall(true);
    assertThat(spans).hasSize(3);
    assertThat(attr(named(spans, "chat gpt-test"), "gen_ai.usage.input_tokens")).contains("10");
    for (byte[] export : exports) {
      String raw = new String(export, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(raw).doesNotContain(PROMPT).doesNotContain("the-answer-text")
          .doesNotContain(TestGateway.MASTER_KEY).doesNotContain(PrometheusMetricsTest.PROVIDER_KEY);
    }
  }
}
