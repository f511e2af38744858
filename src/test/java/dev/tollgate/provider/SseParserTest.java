package dev.tollgate.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
  private final List<String> events = new ArrayList<>();
  private final SseParser parser = new SseParser((event, data) -> events.add(event + "|" + data));

  @Test
  void eventsSplitAnywhereAcrossReadsComeOutWhole() {
    String stream = "event: delta\r\ndata: {\"a\":\"é\"}\r\n\r\n: keep-alive\n\ndata: one\ndata: two\n\ndata:[DONE]\n\n";
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    for (int cut = 1; cut < bytes.length; cut++) {
      events.clear();
      parser.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, 0, cut)));
      parser.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, cut, bytes.length)));
      assertThat(events).as("cut at %d", cut)
          .containsExactly("delta|{\"a\":\"é\"}", "null|one\ntwo", "null|[DONE]");
      assertThat(parser.hasPartialInput()).isFalse();
    }
  }

  @Test
  void finishDispatchesAnEventThatLacksItsBlankLine() {
    parser.feed(Buffer.buffer("data: first\n\ndata: last"));
    assertThat(events).containsExactly("null|first");
    assertThat(parser.hasPartialInput()).isTrue();
    parser.finish();
    assertThat(events).containsExactly("null|first", "null|last");
  }

  @Test
  void eventDataStaysIntactAfterLaterReadsAndFromSlicedBuffers() {
    List<Buffer> kept = new ArrayList<>();
    SseParser keeping = new SseParser((event, data) -> kept.add(data));
    byte[] bytes = "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\n".getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) { // one byte per read: every event is assembled in the pending buffer
      keeping.feed(Buffer.buffer(new byte[] {b}));
    }
    // a read that is a slice of a bigger buffer: the bytes start at an offset of its array
    Buffer big = Buffer.buffer("garbage-before|data: {\"n\":4}\n\n|garbage-after");
    keeping.feed(big.slice(15, big.length() - 14));
    assertThat(kept).extracting(Buffer::toString).containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}");
  }
}
