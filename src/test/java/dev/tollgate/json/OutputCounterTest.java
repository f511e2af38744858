package dev.tollgate.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OutputCounterTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // OpenAI chunks: content, reasoning, refusal, a tool call's name and arguments; the rest is not output
      "{\"id\":\"chatcmpl-1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]} | 5",
      "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null} | 0",
      "{\"choices\":[{\"delta\":{\"content\" : \"a\\\"b\\n\\u00e9\"}}]} | 5",
      "{\"choices\":[{\"delta\":{\"content\":\"h\u00e9llo \u4e16\"}}]} | 7",
      "{\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\",\"refusal\":null}}]} | 3",
      "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"get\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]} | 10",
      "{\"choices\":[{\"text\":\"legacy\",\"logprobs\":{\"content\":[{\"token\":\"x\"}]}}]} | 6",
      // a member name inside a string value is text, not a member
      "{\"choices\":[{\"delta\":{\"content\":\"\\\"content\\\":\\\"xx\"}}]} | 13",
      // Anthropic's events
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\"\"}} | 4",
      "{\"choices\":[{\"delta\":{\"content\":\"cut sho | 7",
  })
  void theModelsOutputIsCountedFromTheBytes(String chunk, long chars) {
    OutputCounter counter = new OutputCounter();
    counter.add(Buffer.buffer(chunk));
    assertThat(counter.chars()).isEqualTo(chars);
  }


  static final String HEAD = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",";

  static Buffer chunk(String choices, String tail) {
    // a slice in the middle of a bigger array, as the SSE parser hands chunks out
    String json = HEAD + "\"choices\":[" + choices + "]" + tail + "}";
    Buffer whole = Buffer.buffer("data: " + json + "\n\n");
    byte[] bytes = whole.getBytes();
    return Json.wrap(bytes, 6, bytes.length - 8);
  }

  /** Chunks that share the layout of the one before are counted by comparison; the others in full: the same total either way. */
  @Test
  void aStreamIsCountedWhateverItsChunksLookLike() {
    List<Buffer> stream = List.of(
        chunk("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}", ",\"usage\":null"),
        chunk("{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}", ",\"usage\":null"),
        chunk("{\"index\":0,\"delta\":{\"content\":\" w\\u00f6rld\"},\"finish_reason\":null}", ",\"usage\":null"),
        // the same layout, another tail: a second output member after the first
        chunk("{\"index\":0,\"delta\":{\"content\":\"!!\",\"refusal\":\"no\"},\"finish_reason\":null}", ",\"usage\":null"),
        chunk("{\"index\":0,\"delta\":{\"content\":\"abc\"},\"finish_reason\":null}", ",\"usage\":null,\"obfuscation\":\"xyz\""),
        chunk("{\"index\":0,\"delta\":{\"content\":\"\\\"q\\\"\"},\"finish_reason\":null}", ",\"usage\":null"),
        // a tool call: its first chunk, then arguments in pieces
        chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"get\",\"arguments\":\"\"}}]},\"finish_reason\":null}", ""),
        chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]},\"finish_reason\":null}", ""),
        chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":null}", ""),
        chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}", ",\"usage\":null"),
        chunk("", ",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}"));
    OutputCounter counter = new OutputCounter();
    long expected = 0;
    for (Buffer c : stream) {
      counter.add(c);
      OutputCounter alone = new OutputCounter();
      alone.add(c.copy());
      expected += alone.chars();
      assertThat(counter.chars()).as("after " + c).isEqualTo(expected);
    }
    // Hello, " w\u00f6rld", "!!" "no", "abc", "\"q\"", get, {"a", :1}
    assertThat(counter.chars()).isEqualTo(5 + 6 + 2 + 2 + 3 + 3 + 3 + 4 + 3);
  }
}
