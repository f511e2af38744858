package dev.tollgate.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
  @ParameterizedTest
  @ValueSource(strings = {"{}", "{\"choices\":[]}", " \n{\"a\":{\"b\":1}}\r\n\t"})
  void streamChunksFramedAsAnObjectPass(String chunk) {
    assertThat(Json.looksLikeObject(Buffer.buffer(chunk))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "{", "}", "{\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"trunc",
      "<html><body>Bad Gateway</body></html>", "[1,2]", "upstream overloaded", "\"{}\"", "{} trailing"})
  void truncatedOrForeignChunksDoNot(String chunk) {
    assertThat(Json.looksLikeObject(Buffer.buffer(chunk))).isFalse();
  }

  private static final String FINISH_REASON = "\"finish_reason\"";

  @ParameterizedTest
  @ValueSource(strings = {"{\"choices\":[{\"index\":1,\"finish_reason\":\"stop\"}]}",
      "{\"choices\":[{\"finish_reason\" :  \"length\"}]}"})
  void aNonNullMemberIsFoundAtAnyDepth(String chunk) {
    assertThat(Json.hasNonNullMember(Buffer.buffer(chunk), FINISH_REASON)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"choices\":[{\"finish_reason\":null}]}", "{\"choices\":[]}",
      "{\"choices\":[{\"delta\":{\"content\":\"\\\"finish_reason\\\":\\\"stop\\\"\"},\"finish_reason\":null}]}"})
  void aNullMemberOrTheNameInsideAStringIsNot(String chunk) {
    assertThat(Json.hasNonNullMember(Buffer.buffer(chunk), FINISH_REASON)).isFalse();
  }
}
