package dev.tollgate.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

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
      if (!sawUsage && first != null) {
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
  private long characters;
  /** The first chunk: the usage chunk carries its id, object, created and model. */
  private JsonNode first;

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
    JsonNode chunk;
    try {
      chunk = Json.parse(json);
    } catch (IOException e) {
      return; // relayed as it came; nothing to count
    }
    if (first == null) {
      first = chunk;
    }
    for (JsonNode choice : chunk.path("choices")) {
      JsonNode delta = choice.path("delta");
      characters += delta.path("content").asText("").length() + choice.path("text").asText("").length();
      for (JsonNode toolCall : delta.path("tool_calls")) {
        characters += toolCall.path("function").path("name").asText("").length()
            + toolCall.path("function").path("arguments").asText("").length();
      }
    }
  }

  private Buffer estimatedUsageChunk() {
    ObjectNode chunk = Json.object();
    chunk.put("id", first.path("id").asText(""));
    chunk.put("object", first.path("object").asText("chat.completion.chunk"));
    chunk.put("created", first.path("created").asLong(0));
    chunk.put("model", first.path("model").asText(""));
    chunk.putArray("choices");
    long completionTokens = TokenEstimate.ofCharacters(characters);
    chunk.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
        .put("total_tokens", promptTokens + completionTokens);
    return Json.buffer(chunk);
  }
}
