package dev.tollgate.provider;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/** Incremental parser of newline-delimited JSON (one value a line): feed bytes as they arrive, get whole lines. */
public final class NdjsonParser {
  private final Consumer<Buffer> handler;
  private Buffer pending = Buffer.buffer();

  public NdjsonParser(Consumer<Buffer> handler) {
    this.handler = handler;
  }

  public void feed(Buffer bytes) {
    Buffer buf = pending.length() == 0 ? bytes : pending.appendBuffer(bytes);
    int start = 0;
    for (int i = 0; i < buf.length(); i++) {
      if (buf.getByte(i) == '\n') {
        line(buf, start, i);
        start = i + 1;
      }
    }
    pending = start == buf.length() ? Buffer.buffer() : buf.getBuffer(start, buf.length());
  }

  /** The body ended: a last line without its newline still counts. */
  public void finish() {
    if (pending.length() > 0) {
      Buffer last = pending;
      pending = Buffer.buffer();
      line(last, 0, last.length());
    }
  }

  private void line(Buffer buf, int start, int end) {
    while (start < end && Character.isWhitespace(buf.getByte(start))) {
      start++;
    }
    while (end > start && Character.isWhitespace(buf.getByte(end - 1))) {
      end--;
    }
    if (end > start) {
      handler.accept(buf.getBuffer(start, end));
    }
  }
}
