package dev.tollgate.provider;

import io.vertx.core.buffer.Buffer;

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
    int len = buf.length();
    int lineStart = 0;
    for (int i = 0; i < len; i++) {
      if (buf.getByte(i) == '\n') {
        int lineEnd = i > lineStart && buf.getByte(i - 1) == '\r' ? i - 1 : i;
        line(buf, lineStart, lineEnd);
        lineStart = i + 1;
      }
    }
    pending = lineStart == len ? Buffer.buffer() : buf.getBuffer(lineStart, len);
  }

  /** Dispatches an event left without its closing blank line when the stream ended. */
  public void finish() {
    if (pending.length() > 0) {
      line(pending, 0, pending.length());
      pending = Buffer.buffer();
    }
    dispatch();
  }

  /** Bytes received that do not form a complete line yet. */
  public boolean hasPartialInput() {
    return pending.length() > 0 || data != null;
  }

  private void line(Buffer buf, int start, int end) {
    if (start == end) {
      dispatch();
      return;
    }
    if (buf.getByte(start) == ':') {
      return; // comment / keep-alive
    }
    int colon = -1;
    for (int i = start; i < end; i++) {
      if (buf.getByte(i) == ':') {
        colon = i;
        break;
      }
    }
    int fieldEnd = colon < 0 ? end : colon;
    int valueStart = colon < 0 ? end : colon + 1;
    if (valueStart < end && buf.getByte(valueStart) == ' ') {
      valueStart++;
    }
    if (matches(buf, start, fieldEnd, "data")) {
      Buffer value = buf.getBuffer(valueStart, end);
      if (data == null) {
        data = value;
      } else {
        data = data.copy().appendByte((byte) '\n').appendBuffer(value);
      }
    } else if (matches(buf, start, fieldEnd, "event")) {
      event = buf.getString(valueStart, end);
    }
  }

  private void dispatch() {
    if (data != null) {
      handler.onEvent(event, data);
    }
    data = null;
    event = null;
  }

  private static boolean matches(Buffer buf, int start, int end, String name) {
    if (end - start != name.length()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (buf.getByte(start + i) != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
