package dev.tollgate.call;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class UsageTest {
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
}
