package dev.tollgate.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.json.OutputCounter;
import io.vertx.core.buffer.Buffer;

/**
 * For upstreams that cannot be asked for the usage chunk (Azure OpenAI before api-version
 * 2024-09-01-preview and strict servers such as older vLLM answer 400 to {@code stream_options}):
 * counts the streamed text and, when the stream ends without usage, sends an estimated usage chunk (about four characters a token,
 * {@link TokenEstimate}) before the end, so that the call is still billed and a client that asked
 * for {@code include_usage} still gets its last chunk. A usage chunk from the upstream wins.
 */
public final class UsageEstimatingDecoder implements StreamDecoder {
  private final StreamDecoder inner;
  private final int promptTokens;
  private final Emitter counting = new Emitter() {
    @Override
    public void chunk(Buffer json) {
      observe(json);
      out.chunk(json);
    }

    @Override
    public void end() {
      if (!sawUsage && last != null) {
        out.chunk(estimatedUsageChunk());
      }
      out.end();
    }

    @Override
    public void error(UpstreamException error) {
      out.error(error);
    }
  };
  private Emitter out;
  private boolean sawUsage;
  private final OutputCounter output = new OutputCounter();
  /**
   * The last chunk: the usage chunk carries its id, object, created and model (read only then).
   * Not the first: Azure's content filter opens with a chunk whose ids are empty.
   */
  private Buffer last;

  public UsageEstimatingDecoder(StreamDecoder inner, JsonNode requestBody) {
    this.inner = inner;
    this.promptTokens = TokenEstimate.ofRequest(requestBody);
  }

  @Override
  public void decode(Buffer bytes, Emitter emitter) {
    out = emitter;
    inner.decode(bytes, counting);
  }

  @Override
  public void finish(Emitter emitter) {
    out = emitter;
    inner.finish(counting);
  }

  private void observe(Buffer json) {
    if (Usage.parse(json) != null) { // null at once for the chunks without a usage block
      sawUsage = true;
      return;
    }
    last = json;
    output.add(json);
  }

  private Buffer estimatedUsageChunk() {
    JsonNode answer = Json.tryParse(last);
    if (answer == null) {
      answer = Json.object();
    }
    ObjectNode chunk = Json.object();
    chunk.put("id", answer.path("id").asText(""));
    chunk.put("object", answer.path("object").asText("chat.completion.chunk"));
    chunk.put("created", answer.path("created").asLong(0));
    chunk.put("model", answer.path("model").asText(""));
    chunk.putArray("choices");
    long completionTokens = TokenEstimate.ofCharacters(output.chars());
    chunk.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
        .put("total_tokens", promptTokens + completionTokens);
    return Json.buffer(chunk);
  }
}
