package dev.tollgate.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The one shared Jackson mapper, and the few conversions between Vert.x buffers and JSON trees. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Json() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static JsonNode parse(Buffer bytes) throws IOException {
    Bytes b = bytes(bytes);
    return MAPPER.readTree(b.array(), b.offset(), b.length());
  }

  /** A range of a byte array, e.g. for a parser that reads in place. */
  public record Bytes(byte[] array, int offset, int length) {}

  /** A token parser over the bytes where they are. */
  public static JsonParser parser(Bytes b) throws IOException {
    return MAPPER.createParser(b.array(), b.offset(), b.length());
  }

  /**
   * The bytes of a buffer where they are (no copy) when it is backed by an array, as the buffers
   * Vert.x hands out are; a copy otherwise. Read them, never write.
   */
  public static Bytes bytes(Buffer buffer) {
    ByteBuf slice = ((BufferInternal) buffer).getByteBuf();
    if (slice.hasArray()) {
      return new Bytes(slice.array(), slice.arrayOffset() + slice.readerIndex(), slice.readableBytes());
    }
    byte[] copy = buffer.getBytes();
    return new Bytes(copy, 0, copy.length);
  }

  /** A buffer over part of an array, without copying it: the array must not change afterwards. */
  public static Buffer wrap(byte[] array, int offset, int length) {
    return BufferInternal.buffer(Unpooled.wrappedBuffer(array, offset, length));
  }

  /** Parses, or returns null for anything that is not JSON. */
  public static JsonNode tryParse(Buffer bytes) {
    if (bytes == null || bytes.length() == 0) {
      return null;
    }
    try {
      return parse(bytes);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Whether {@code bytes} are framed as one JSON object: a '{' first and a '}' last, whitespace
   * aside. Catches what upstreams really send by mistake (a truncated chunk, an HTML page, plain
   * text) without parsing: a full parse of every streamed chunk was 5 % of a stream's CPU, to
   * relay bytes the client parses anyway.
   */
  public static boolean looksLikeObject(Buffer bytes) {
    int first = 0;
    int last = bytes.length() - 1;
    while (first <= last && isSpace(bytes.getByte(first))) {
      first++;
    }
    while (last > first && isSpace(bytes.getByte(last))) {
      last--;
    }
    return last > first && bytes.getByte(first) == '{' && bytes.getByte(last) == '}';
  }

  /**
   * Whether the JSON text has a member {@code quotedName} (quotes included, e.g. {@code "\"id\""})
   * whose value is not null, at any depth: found by its bytes, without parsing. A name inside a
   * string value cannot match, its quotes being escaped there.
   */
  public static boolean hasNonNullMember(Buffer json, String quotedName) {
    return hasNonNullMember(bytes(json), quotedName);
  }

  public static boolean hasNonNullMember(Bytes j, String quotedName) {
    byte[] b = j.array();
    int end = j.offset() + j.length();
    // a Latin-1 String of the bytes: String.indexOf is a vectorised intrinsic, a byte loop is not
    // (4x faster on a 250-byte chunk, the String included)
    String text = new String(b, j.offset(), j.length(), StandardCharsets.ISO_8859_1);
    for (int i = text.indexOf(quotedName); i >= 0; i = text.indexOf(quotedName, i + 1)) {
      if (nonNullValueAt(b, j.offset() + i + quotedName.length(), end)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the JSON text is an object whose first member is {@code quotedName} ({@code {"error": ...}}). */
  public static boolean startsWithMember(Buffer json, String quotedName) {
    int i = 0;
    int end = json.length();
    while (i < end && isSpace(json.getByte(i))) {
      i++;
    }
    if (i == end || json.getByte(i) != '{') {
      return false;
    }
    i++;
    while (i < end && isSpace(json.getByte(i))) {
      i++;
    }
    if (end - i < quotedName.length()) {
      return false;
    }
    for (int k = 0; k < quotedName.length(); k++) {
      if (json.getByte(i + k) != quotedName.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Whether what follows a member name ending before {@code from} is a ':' and a value other than null. */
  public static boolean nonNullValueAt(byte[] json, int from, int end) {
    int v = skipSpaces(json, from, end);
    if (v >= end || json[v] != ':') {
      return false;
    }
    v = skipSpaces(json, v + 1, end);
    return v < end && json[v] != 'n';
  }

  static int skipSpaces(byte[] json, int i, int end) {
    while (i < end && isSpace(json[i])) {
      i++;
    }
    return i;
  }

  /** JSON's whitespace: space, tab, line feed, carriage return. */
  public static boolean isSpace(byte b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t';
  }

  public static Buffer buffer(JsonNode node) {
    try {
      return Buffer.buffer(MAPPER.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("JSON tree could not be written", e);
    }
  }
}
