package dev.tollgate.json;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Counts the characters of a model's output in the chunks of one stream, read from their bytes:
 * the string values of the members that carry it ({@code content}, {@code text}, {@code refusal},
 * {@code reasoning}, {@code reasoning_content}, {@code thinking}, a tool call's {@code name} and
 * {@code arguments}, Anthropic's {@code partial_json}), at any depth. An escape counts as one
 * character, so does a multi-byte UTF-8 one. For an estimate of the completion tokens of a stream
 * whose usage never arrives; it runs on every relayed chunk, so it neither parses nor allocates.
 *
 * <p>A stream's chunks share their layout, only the text differs ({@code {"id":..,"choices":[{..,
 * "delta":{"content":"<text>"},..}]}}): a chunk whose bytes up to its first output value and after
 * that value are those of the last chunk scanned in full costs two vectorised comparisons and a walk
 * over the text itself (17 ns and no allocation for a 290-byte OpenAI chunk, against 170 ns for a
 * byte-by-byte scan, measured on JDK 25).
 * Any other chunk (the role chunk, the first of a tool call, the last one) is scanned in full.
 * Confined to one stream's event loop.
 */
public final class OutputCounter {
  private long chars;
  /** The last chunk scanned in full that had output: where its bytes are, and what it told. */
  private byte[] ref;
  private int refFrom;
  private int refLength;
  /** Where its first output value's text starts and where what follows that value starts, relative to refFrom. */
  private int refValueAt;
  private int refTailAt;
  /** Output characters after its first output value (usually none). */
  private long refTailChars;
  /** Where the string value {@link #valueChars} last read ends (its closing quote, or the end). */
  private int valueEnd;

  /** Characters of output in the chunks added so far. */
  public long chars() {
    return chars;
  }

  public void add(Buffer chunk) {
    ByteBuf buf = ((BufferInternal) chunk).getByteBuf();
    if (!buf.hasArray()) {
      byte[] copy = chunk.getBytes();
      chars += scan(copy, 0, copy.length, 0, false);
      return;
    }
    byte[] b = buf.array();
    int from = buf.arrayOffset() + buf.readerIndex();
    int end = from + buf.readableBytes();
    if (ref != null && end - from > refValueAt
        && Arrays.equals(b, from, from + refValueAt, ref, refFrom, refFrom + refValueAt)) {
      // the same bytes up to the text: it is the value of an output member, as it was there
      long text = valueChars(b, from + refValueAt, end);
      int tail = Math.min(valueEnd + 1, end);
      boolean sameTail = end - tail == refLength - refTailAt
          && Arrays.equals(b, tail, end, ref, refFrom + refTailAt, refFrom + refLength);
      chars += text + (sameTail ? refTailChars : scan(b, tail, end, 0, false));
      return;
    }
    chars += scan(b, from, end, from, true);
  }

  /**
   * Characters of a string value from {@code i} (just after its opening quote) to its closing
   * quote, whose index it leaves in {@link #valueEnd}: an escape counts one, a UTF-8 character one.
   */
  private long valueChars(byte[] b, int i, int end) {
    long text = 0;
    for (; i < end && b[i] != '"'; i++) {
      byte c = b[i];
      if (c == '\\') {
        text++;
        i += i + 1 < end && b[i + 1] == 'u' ? 5 : 1;
      } else if ((c & 0xC0) != 0x80) { // not a UTF-8 continuation byte
        text++;
      }
    }
    valueEnd = i;
    return text;
  }

  /**
   * Output characters in {@code b[from, end)}. With {@code remember}, a chunk that has output
   * becomes the reference for the next ones ({@code base}: where the chunk starts).
   */
  private long scan(byte[] b, int from, int end, int base, boolean remember) {
    long total = 0;
    int valueAt = -1;
    int tailAt = -1;
    long first = 0;
    int i = from;
    while (i < end) {
      if (b[i++] != '"') {
        continue;
      }
      int name = i; // a string: a member's name when a ':' follows it
      i = stringEnd(b, i, end);
      int nameEnd = i++;
      i = Json.skipSpaces(b, i, end);
      if (i >= end || b[i] != ':' || !isOutputMember(b, name, nameEnd)) {
        continue;
      }
      i = Json.skipSpaces(b, i + 1, end);
      if (i < end && b[i] == '"') {
        int at = ++i;
        long text = valueChars(b, i, end);
        i = Math.min(valueEnd + 1, end);
        if (valueAt < 0) {
          valueAt = at;
          tailAt = i;
          first = text;
        }
        total += text;
      }
    }
    if (remember && valueAt >= 0) {
      ref = b;
      refFrom = base;
      refLength = end - base;
      refValueAt = valueAt - base;
      refTailAt = tailAt - base;
      refTailChars = total - first;
    }
    return total;
  }

  /** The index of the quote that closes the string starting at {@code i} (or {@code end}). */
  private static int stringEnd(byte[] b, int i, int end) {
    while (i < end) {
      byte c = b[i];
      if (c == '"') {
        return i;
      }
      i += c == '\\' ? 2 : 1;
    }
    return end;
  }

  private static boolean isOutputMember(byte[] b, int from, int to) {
    return switch (to - from) {
      case 4 -> is(b, from, TEXT) || is(b, from, NAME);
      case 7 -> is(b, from, CONTENT) || is(b, from, REFUSAL);
      case 8 -> is(b, from, THINKING);
      case 9 -> is(b, from, ARGUMENTS) || is(b, from, REASONING);
      case 12 -> is(b, from, PARTIAL_JSON);
      case 17 -> is(b, from, REASONING_CONTENT);
      default -> false;
    };
  }

  private static boolean is(byte[] b, int from, byte[] name) {
    return Arrays.equals(b, from, from + name.length, name, 0, name.length);
  }

  private static final byte[] TEXT = ascii("text");
  private static final byte[] NAME = ascii("name");
  private static final byte[] CONTENT = ascii("content");
  private static final byte[] REFUSAL = ascii("refusal");
  private static final byte[] THINKING = ascii("thinking");
  private static final byte[] ARGUMENTS = ascii("arguments");
  private static final byte[] REASONING = ascii("reasoning");
  private static final byte[] PARTIAL_JSON = ascii("partial_json");
  private static final byte[] REASONING_CONTENT = ascii("reasoning_content");

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
