package dev.tollgate.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;

/**
 * The part of a translating stream decoder every provider shares: chunks go out through a
 * {@link ChunkWriter}; a stream that ends without a finish reason is an error (truncated, or not
 * a stream at all), never an empty success; the usage seen last closes the stream.
 */
public abstract class TranslatingDecoder implements StreamDecoder {
  protected final String provider;
  protected final ChunkWriter writer;
  protected Emitter out;
  /** OpenAI usage to send at the end, once the provider reported it. */
  protected ObjectNode usage;
  private boolean sawInput;

  protected TranslatingDecoder(String provider, String model) {
    this.provider = provider;
    this.writer = new ChunkWriter(OpenAiShapes.newId("chatcmpl-"), model);
  }

  /** Feeds bytes to the provider's framing parser. */
  protected abstract void feed(Buffer bytes);

  /** The body ended: lets the parser hand on what it still holds. */
  protected abstract void flush();

  @Override
  public final void decode(Buffer bytes, Emitter emitter) {
    out = emitter;
    feed(bytes);
  }

  @Override
  public final void finish(Emitter emitter) {
    out = emitter;
    flush();
    if (!writer.finished()) {
      out.error(OpenAiShapes.unfinished(provider, sawInput));
      return;
    }
    if (usage != null) {
      writer.usage(out, usage);
    }
    out.end();
  }

  /** One framed event's JSON, or null after failing the stream when it is not a JSON object. */
  protected JsonNode parse(Buffer data) {
    sawInput = true;
    JsonNode json = Json.tryParse(data);
    if (json == null || !json.isObject()) {
      out.error(OpenAiShapes.badChunk(provider, data));
      return null;
    }
    return json;
  }
}
