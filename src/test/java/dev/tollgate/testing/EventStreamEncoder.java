package dev.tollgate.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/** Writes AWS event-stream messages (prelude, string headers, payload, CRC32s) as AWS documents the framing. */
public final class EventStreamEncoder {
  private EventStreamEncoder() {}

  public static byte[] message(Map<String, String> headers, byte[] payload) {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    headers.forEach((name, value) -> {
      byte[] n = name.getBytes(StandardCharsets.UTF_8);
      byte[] v = value.getBytes(StandardCharsets.UTF_8);
      h.write(n.length);
      h.writeBytes(n);
      h.write(7); // string
      h.write(v.length >> 8);
      h.write(v.length & 0xff);
      h.writeBytes(v);
    });
    byte[] hb = h.toByteArray();
    int total = 12 + hb.length + payload.length + 4;
    ByteBuffer buf = ByteBuffer.allocate(total);
    buf.putInt(total).putInt(hb.length);
    buf.putInt((int) crc(buf.array(), 0, 8));
    buf.put(hb).put(payload);
    buf.putInt((int) crc(buf.array(), 0, total - 4));
    return buf.array();
  }

  /** A Bedrock ConverseStream event with a JSON payload. */
  public static byte[] event(String eventType, String json) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(":event-type", eventType);
    headers.put(":content-type", "application/json");
    headers.put(":message-type", "event");
    return message(headers, json.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] exception(String exceptionType, String message) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(":exception-type", exceptionType);
    headers.put(":content-type", "application/json");
    headers.put(":message-type", "exception");
    return message(headers, ("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  private static long crc(byte[] b, int off, int len) {
    CRC32 c = new CRC32();
    c.update(b, off, len);
    return c.getValue();
  }
}
