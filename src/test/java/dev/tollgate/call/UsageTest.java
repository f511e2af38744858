package dev.tollgate.call;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class UsageTest {
  @Test
  void chunksWithNullUsageAreSkippedWithoutParsing() {
    assertThat(Usage.mayContainUsage(Buffer.buffer("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}],\"usage\":null}"))).isFalse();
    assertThat(Usage.mayContainUsage(Buffer.buffer("{\"choices\":[],\"usage\" : null}"))).isFalse();
    assertThat(Usage.mayContainUsage(Buffer.buffer("{\"choices\":[{\"delta\":{\"content\":\"usage\"}}]}"))).isFalse();
  }

  @Test
  void theUsageChunkIsRead() {
    Buffer last = Buffer.buffer("{\"choices\":[],\"usage\": {\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12,"
        + "\"prompt_tokens_details\":{\"cached_tokens\":2},\"completion_tokens_details\":{\"reasoning_tokens\":3}}}");
    assertThat(Usage.mayContainUsage(last)).isTrue();
    assertThat(Usage.parse(last)).isEqualTo(new Usage(5, 7, 2, 3, 0));
    // "usage" as text inside a chunk before the real block does not hide it
    assertThat(Usage.parse(Buffer.buffer("{\"note\":\"usage\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}")))
        .isEqualTo(new Usage(1, 1, 0, 0, 0));
  }

  @Test
  void readsTheTopLevelUsageOfAWholeResponse() {
    Usage u = Usage.parse(Buffer.buffer("""
        {"id":"x","choices":[{"message":{"content":"the word \\"usage\\" in text","tool_calls":[{"usage":{"prompt_tokens":99}}]}}],
         "usage":{"prompt_tokens":42,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":2},
                  "completion_tokens_details":{"reasoning_tokens":3}},"system_fingerprint":"fp"}"""));
    assertThat(u).isEqualTo(new Usage(42, 7, 2, 3, 0));
  }

  @Test
  void nothingWhenThereIsNoUsageBlockOrNoValidJson() {
    assertThat(Usage.parse(Buffer.buffer("{\"choices\":[{\"delta\":{\"content\":\"usage\"}}]}"))).isNull();
    assertThat(Usage.parse(Buffer.buffer("{\"usage\":null}"))).isNull();
    assertThat(Usage.parse(Buffer.buffer("{\"usage\":{\"prompt_tokens\":1}"))).isNull();
    assertThat(Usage.parse(Buffer.buffer("{\"usage\":{\"prompt_tokens\":1}} {}"))).isNull();
    assertThat(Usage.parse(Buffer.buffer("[\"usage\"]"))).isNull();
  }

  @Test
  void anthropicStyleNamesCount() {
    assertThat(Usage.parse(Buffer.buffer("{\"usage\":{\"input_tokens\":5,\"output_tokens\":6,\"cache_creation_input_tokens\":1}}")))
        .isEqualTo(new Usage(5, 6, 0, 0, 1));
  }

  @Test
  void oddValuesReadTheSameFromBytesAndFromATree() throws Exception {
    java.util.Map<String, Usage> expected = new java.util.LinkedHashMap<>();
    // numeric strings count; null, objects and arrays where numbers belong fall back to the other name or 0
    expected.put("{\"usage\":{\"prompt_tokens\":\"12\",\"completion_tokens\":null,\"output_tokens\":4}}", new Usage(12, 4, 0, 0, 0));
    expected.put("{\"usage\":{\"prompt_tokens\":{\"x\":1},\"input_tokens\":3,\"completion_tokens\":[1,2]}}", new Usage(3, 0, 0, 0, 0));
    expected.put("{\"usage\":{\"prompt_tokens\":0,\"input_tokens\":9,\"prompt_tokens_details\":null,"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":\"2\"}}}", new Usage(0, 0, 0, 2, 0));
    expected.put("{\"usage\":{\"prompt_tokens\":1.0,\"completion_tokens\":2,\"prompt_tokens_details\":{\"audio_tokens\":5,"
        + "\"cached_tokens\":1}}}", new Usage(1, 2, 1, 0, 0));
    expected.put("{\"usage\":{\"prompt_tokens\":-3,\"input_tokens\":9}}", new Usage(-3, 0, 0, 0, 0));
    // only the top-level member
    expected.put("{\"a\":{\"usage\":{\"prompt_tokens\":7}},\"usage\":{\"completion_tokens\":3},\"b\":[]}", new Usage(0, 3, 0, 0, 0));
    for (var e : expected.entrySet()) {
      assertThat(Usage.parse(Buffer.buffer(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
      assertThat(Usage.of(dev.tollgate.json.Json.MAPPER.readTree(e.getKey()))).as("tree: " + e.getKey()).isEqualTo(e.getValue());
    }
  }
}
