package dev.tollgate.provider;

import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Incremental parser of Server-Sent Events: feed it bytes as they arrive, it calls back once per
 * complete event with the event name (null when absent) and its data. Lines may end in LF or CRLF.
 */
public final class SseParser {
  /** Receives each complete event. */
  @FunctionalInterface
  public interface Handler {
    void onEvent(String event, Buffer data);
  }

  private final Handler handler;
  private Buffer pending = Buffer.buffer();
  private String event;
  private Buffer data;

  public SseParser(Handler handler) {
    this.handler = handler;
  }

  public void feed(Buffer bytes) {
    Buffer buf = pending.length() == 0 ? bytes : pending.appendBuffer(bytes);
    // scanned as an array (Buffer.getByte per byte was the parser's main cost in the profile), in
    // place: the events' data are slices of it, the buffer is not written to again
    Json.Bytes b = Json.bytes(buf);
    int end = b.offset() + b.length();
    int lineStart = b.offset();
    byte[] a = b.array();
    for (int i = lineStart; i < end; i++) {
      if (a[i] == '\n') {
        int lineEnd = i > lineStart && a[i - 1] == '\r' ? i - 1 : i;
        line(a, lineStart, lineEnd);
        lineStart = i + 1;
      }
    }
    pending = lineStart == end ? Buffer.buffer() : buf.getBuffer(lineStart - b.offset(), b.length());
  }

  /** Dispatches an event left without its closing blank line when the stream ended. */
  public void finish() {
    if (pending.length() > 0) {
      line(pending.getBytes(), 0, pending.length());
      pending = Buffer.buffer();
    }
    dispatch();
  }

  /** Bytes received that do not form a complete line yet. */
  public boolean hasPartialInput() {
    return pending.length() > 0 || data != null;
  }

  private void line(byte[] buf, int start, int end) {
    if (start == end) {
      dispatch();
      return;
    }
    if (buf[start] == ':') {
      return; // comment / keep-alive
    }
    int colon = -1;
    for (int i = start; i < end; i++) {
      if (buf[i] == ':') {
        colon = i;
        break;
      }
    }
    int fieldEnd = colon < 0 ? end : colon;
    int valueStart = colon < 0 ? end : colon + 1;
    if (valueStart < end && buf[valueStart] == ' ') {
      valueStart++;
    }
    if (matches(buf, start, fieldEnd, "data")) {
      Buffer value = Json.wrap(buf, valueStart, end - valueStart);
      if (data == null) {
        data = value;
      } else {
        data = data.copy().appendByte((byte) '\n').appendBuffer(value);
      }
    } else if (matches(buf, start, fieldEnd, "event")) {
      event = new String(buf, valueStart, end - valueStart, StandardCharsets.UTF_8);
    }
  }

  private void dispatch() {
    if (data != null) {
      handler.onEvent(event, data);
    }
    data = null;
    event = null;
  }

  private static boolean matches(byte[] buf, int start, int end, String name) {
    if (end - start != name.length()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (buf[start + i] != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
