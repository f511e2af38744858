package dev.tollgate.provider;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Incremental decoder of the AWS event-stream binary framing ({@code
 * application/vnd.amazon.eventstream}): each message is a 12-byte prelude (total length, headers
 * length, prelude CRC32), headers, payload and a CRC32 of everything before it. Feed bytes as they
 * arrive; complete messages are handed on, a partial one waits for the rest.
 */
public final class EventStreamParser {
  private static final int PRELUDE = 12;
  private static final int MAX_MESSAGE = 16 * 1024 * 1024;

  /** A decoded message: its string headers ({@code :event-type}, {@code :message-type}, ...) and payload. */
  public record Message(Map<String, String> headers, Buffer payload) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  @FunctionalInterface
  public interface Handler {
    void onMessage(Message message);
  }

  /** The bytes are not a valid event stream (bad checksum, impossible length). */
  public static final class CorruptStreamException extends RuntimeException {
    CorruptStreamException(String message) {
      super(message, null, false, false);
    }
  }

  private final Handler handler;
  private Buffer pending = Buffer.buffer();

  public EventStreamParser(Handler handler) {
    this.handler = handler;
  }

  public void feed(Buffer bytes) {
    Buffer buf = pending.length() == 0 ? bytes : pending.appendBuffer(bytes);
    int pos = 0;
    while (buf.length() - pos >= PRELUDE) {
      long total = buf.getUnsignedInt(pos);
      long headersLength = buf.getUnsignedInt(pos + 4);
      if (crc(buf, pos, pos + 8) != buf.getUnsignedInt(pos + 8)) {
        throw new CorruptStreamException("event stream prelude checksum mismatch");
      }
      if (total < PRELUDE + 4 || total > MAX_MESSAGE || headersLength > total - PRELUDE - 4) {
        throw new CorruptStreamException("event stream message of impossible length " + total);
      }
      int end = pos + (int) total;
      if (buf.length() < end) {
        break;
      }
      if (crc(buf, pos, end - 4) != buf.getUnsignedInt(end - 4)) {
        throw new CorruptStreamException("event stream message checksum mismatch");
      }
      int headersEnd = pos + PRELUDE + (int) headersLength;
      Map<String, String> headers = headers(buf, pos + PRELUDE, headersEnd);
      handler.onMessage(new Message(headers, buf.getBuffer(headersEnd, end - 4)));
      pos = end;
    }
    pending = pos == buf.length() ? Buffer.buffer() : buf.getBuffer(pos, buf.length());
  }

  /** Bytes of a message that has not fully arrived. */
  public boolean hasPartialInput() {
    return pending.length() > 0;
  }

  private static long crc(Buffer buf, int from, int to) {
    CRC32 crc = new CRC32();
    crc.update(buf.getBytes(from, to));
    return crc.getValue();
  }

  /** String headers are kept; the other value types are skipped by their documented sizes. */
  private static Map<String, String> headers(Buffer buf, int pos, int end) {
    Map<String, String> out = new HashMap<>(8);
    while (pos < end) {
      int nameLength = buf.getUnsignedByte(pos);
      String name = buf.getString(pos + 1, pos + 1 + nameLength, StandardCharsets.UTF_8.name());
      pos += 1 + nameLength;
      int type = buf.getUnsignedByte(pos++);
      switch (type) {
        case 0, 1 -> out.put(name, type == 0 ? "true" : "false");
        case 2 -> pos += 1;
        case 3 -> pos += 2;
        case 4 -> pos += 4;
        case 5, 8 -> pos += 8;
        case 9 -> pos += 16;
        case 6, 7 -> {
          int length = buf.getUnsignedShort(pos);
          if (type == 7) {
            out.put(name, buf.getString(pos + 2, pos + 2 + length, StandardCharsets.UTF_8.name()));
          }
          pos += 2 + length;
        }
        default -> throw new CorruptStreamException("event stream header of unknown type " + type);
      }
    }
    if (pos != end) {
      throw new CorruptStreamException("event stream headers overrun their length");
    }
    return out;
  }
}
