package dev.tollgate.provider;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** A successful upstream answer in OpenAI's format: a whole JSON body, or a stream of chunks. */
public sealed interface ProviderReply {
  /** Headers from the upstream worth passing to the client (rate-limit headers); may be empty. */
  MultiMap headers();

  /** A whole OpenAI JSON response body. */
  record Complete(Buffer body, MultiMap headers) implements ProviderReply {}

  /** OpenAI {@code chat.completion.chunk} / completion chunk JSON payloads, one per SSE event. */
  record Streaming(ChunkStream chunks, MultiMap headers) implements ProviderReply {}
}
