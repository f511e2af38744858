package dev.tollgate.provider;

import io.vertx.core.buffer.Buffer;

/**
 * Turns an upstream's streaming body (SSE, NDJSON, binary event frames) into OpenAI chunk
 * payloads. One instance per stream, so it may keep state (open tool calls, token counts).
 */
public interface StreamDecoder {
  void decode(Buffer bytes, Emitter out);

  /** The upstream body ended normally; emit what is left and end (or fail on a truncated stream). */
  void finish(Emitter out);

  interface Emitter {
    void chunk(Buffer openAiChunkJson);

    void end();

    void error(UpstreamException error);
  }
}
