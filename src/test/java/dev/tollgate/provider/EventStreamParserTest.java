package dev.tollgate.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.testing.EventStreamEncoder;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventStreamParserTest {
  @Test
  void decodesMessagesFedOneByteAtATime() {
    Buffer stream = Buffer.buffer(EventStreamEncoder.event("contentBlockDelta", "{\"delta\":{\"text\":\"héllo\"}}"))
        .appendBytes(EventStreamEncoder.exception("throttlingException", "slow down"));
    List<EventStreamParser.Message> got = new ArrayList<>();
    EventStreamParser parser = new EventStreamParser(got::add);
    for (int i = 0; i < stream.length(); i++) {
      parser.feed(stream.getBuffer(i, i + 1));
      if (i == stream.length() / 3) {
        assertThat(parser.hasPartialInput()).isTrue();
      }
    }
    assertThat(got).hasSize(2);
    assertThat(got.get(0).header(":event-type")).isEqualTo("contentBlockDelta");
    assertThat(got.get(0).payload().toString()).isEqualTo("{\"delta\":{\"text\":\"héllo\"}}");
    assertThat(got.get(1).header(":exception-type")).isEqualTo("throttlingException");
    assertThat(parser.hasPartialInput()).isFalse();
  }

  @Test
  void rejectsACorruptedMessage() {
    byte[] msg = EventStreamEncoder.event("messageStop", "{\"stopReason\":\"end_turn\"}");
    msg[msg.length - 10] ^= 1;
    EventStreamParser parser = new EventStreamParser(m -> { });
    assertThatThrownBy(() -> parser.feed(Buffer.buffer(msg))).hasMessageContaining("checksum");
    byte[] prelude = EventStreamEncoder.event("messageStop", "{}");
    prelude[2] ^= 1;
    assertThatThrownBy(() -> new EventStreamParser(m -> { }).feed(Buffer.buffer(prelude))).hasMessageContaining("prelude");
  }
}
