package dev.tollgate.observe.logs;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * The log line format: human-readable by default, one JSON object per line with
 * {@code json_logs: true} / {@code JSON_LOGS=True} ({@code timestamp, level, logger, message},
 * plus {@code thread} and {@code stacktrace} when there is one). Both go through {@link Secrets#redact}.
 * The switch is process-wide, as logging is.
 */
public final class GatewayEncoder extends EncoderBase<ILoggingEvent> {
  private static volatile boolean json;
  private static final JsonFactory JSON = new JsonFactory();
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

  public static void useJson(boolean on) {
    json = on;
  }

  public static boolean isJson() {
    return json;
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    String message = Secrets.redact(event.getFormattedMessage());
    String stack = event.getThrowableProxy() == null ? null : Secrets.redact(ThrowableProxyUtil.asString(event.getThrowableProxy()));
    String logger = event.getLoggerName();
    String line = json ? json(event, logger, message, stack) : human(event, logger, message, stack);
    return line.getBytes(StandardCharsets.UTF_8);
  }

  private static String human(ILoggingEvent event, String logger, String message, String stack) {
    StringBuilder sb = new StringBuilder(96 + message.length());
    sb.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ');
    String level = event.getLevel().toString();
    sb.append(level).append(" ".repeat(Math.max(0, 5 - level.length()))).append(' ');
    sb.append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(" - ").append(message).append(CoreConstants.LINE_SEPARATOR);
    if (stack != null) {
      sb.append(stack).append(CoreConstants.LINE_SEPARATOR);
    }
    return sb.toString();
  }

  private static String json(ILoggingEvent event, String logger, String message, String stack) {
    StringWriter w = new StringWriter(128 + message.length());
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString());
      g.writeStringField("level", event.getLevel().toString());
      g.writeStringField("logger", logger);
      g.writeStringField("message", message);
      g.writeStringField("thread", event.getThreadName());
      if (stack != null) {
        g.writeStringField("stacktrace", stack);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return w.append('\n').toString();
  }
}
