package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.Gateway;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.observe.logs.GatewayEncoder;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every log line of a gateway run with --detailed_debug, captured through a logback appender and
 * written by the gateway's encoder in both formats: no secret in any, no prompt when message
 * logging is off, one JSON object per line in JSON mode.
 */
class LogsTest {
  static final String VIRTUAL_KEY = "sk-virtual-key-not-known-7731";
  static final String PROMPT = "the-secret-prompt-text";

  final List<String> human = new CopyOnWriteArrayList<>();
  final List<String> json = new CopyOnWriteArrayList<>();
  final GatewayEncoder encoder = new GatewayEncoder();
  Logger root;
  Logger tollgate;
  Level previous;
  AppenderBase<ILoggingEvent> capture;
  FakeUpstream upstream;

  @BeforeEach
  void captureLogs() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    tollgate = ctx.getLogger("dev.tollgate");
    previous = tollgate.getLevel();
    tollgate.setLevel(Level.DEBUG);
    capture = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        boolean wasJson = GatewayEncoder.isJson();
        synchronized (LogsTest.this) {
          GatewayEncoder.useJson(false);
          human.add(new String(encoder.encode(event), StandardCharsets.UTF_8));
          GatewayEncoder.useJson(true);
          json.add(new String(encoder.encode(event), StandardCharsets.UTF_8));
          GatewayEncoder.useJson(wasJson);
        }
      }
    };
    capture.setContext(ctx);
    capture.start();
    root.addAppender(capture);
    upstream = LlmUpstream.start();
  }

  @org.junit.jupiter.api.io.TempDir
  java.nio.file.Path data;

  @AfterEach
  void restore() {
    root.detachAppender(capture);
    tollgate.setLevel(previous);
    upstream.close();
  }

  void runSequence(boolean messageLoggingOff) {
    String yaml = PrometheusMetricsTest.yaml(upstream, "  turn_off_message_logging: " + messageLoggingOff);
    // a database and journal of its own, not ./tollgate.db of the working directory
    var config = ConfigLoader.fromYaml(yaml, "test", new Environment(Map.of("LITELLM_MASTER_KEY", TestGateway.MASTER_KEY,
        "TOLLGATE_DB_PATH", data.resolve("tollgate.db").toString(), "TOLLGATE_SPEND_JOURNAL_DIR", data.resolve("journal").toString())));
    Gateway gateway = Gateway.start(config, "127.0.0.1", 0, true);
    try {
      String url = "http://127.0.0.1:" + gateway.port() + "/v1/chat/completions";
      assertThat(post(url, LlmUpstream.chat(PROMPT, false), TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
      assertThat(post(url, LlmUpstream.chat(PROMPT + " fail", false), TestGateway.MASTER_KEY).statusCode()).isEqualTo(500);
      assertThat(post(url, LlmUpstream.chat(PROMPT, true), TestGateway.MASTER_KEY).statusCode()).isEqualTo(200);
      assertThat(post(url, LlmUpstream.chat(PROMPT, false), VIRTUAL_KEY).statusCode()).isEqualTo(401);
      // whoever logs a key by mistake: the encoder masks it
      LoggerFactory.getLogger("dev.tollgate.somewhere").warn("careless: {} and Bearer {}", PrometheusMetricsTest.PROVIDER_KEY,
          TestGateway.MASTER_KEY);
    } finally {
      gateway.stop(Duration.ofSeconds(2));
    }
  }

  static java.net.http.HttpResponse<String> post(String url, String body, String key) {
    return TestGateway.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("authorization", "Bearer " + key).header("x-litellm-api-key", key)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  void assertNoSecrets() {
    for (List<String> lines : List.of(human, json)) {
      assertThat(lines).isNotEmpty();
      for (String line : lines) {
        assertThat(line).doesNotContain(TestGateway.MASTER_KEY).doesNotContain(PrometheusMetricsTest.PROVIDER_KEY)
            .doesNotContain(VIRTUAL_KEY);
      }
    }
    assertThat(human).anyMatch(l -> l.contains("careless: [REDACTED] and Bearer [REDACTED]"));
  }

  @Test
  void detailedDebugLogsRequestsAndResponsesWithoutSecrets() {
    runSequence(false);
    assertNoSecrets();
    assertThat(human).anyMatch(l -> l.contains("detailed_debug - request ") && l.contains(PROMPT) && l.contains("[REDACTED]"));
    assertThat(human).anyMatch(l -> l.contains("detailed_debug - response ") && l.contains("status=200") && l.contains("the-answer-text"));
    assertThat(human).anyMatch(l -> l.contains("detailed_debug - response ") && l.contains("status=500"));
  }

  @Test
  void turnOffMessageLoggingKeepsPromptsAndCompletionsOutOfTheLogs() {
    runSequence(true);
    assertNoSecrets();
    assertThat(human).anyMatch(l -> l.contains("detailed_debug - request ") && l.contains("redacted-by-litellm"));
    assertThat(human).noneMatch(l -> l.contains(PROMPT) || l.contains("the-answer-text"));
  }

  @Test
  void jsonLogsAreOneObjectPerLine() throws Exception {
    runSequence(false);
    ObjectMapper mapper = new ObjectMapper();
    for (String line : json) {
      assertThat(line).endsWith("\n");
      assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
      JsonNode obj = mapper.readTree(line);
      assertThat(obj.isObject()).isTrue();
      assertThat(obj.path("level").asText()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
      assertThat(obj.has("timestamp") && obj.has("message") && obj.has("logger")).isTrue();
    }
  }
}
