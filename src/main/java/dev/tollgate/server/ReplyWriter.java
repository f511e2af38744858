package dev.tollgate.server;

import dev.tollgate.call.ApiError;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.provider.ProviderReply;
import io.vertx.core.http.HttpServerResponse;

/** Writes a call's outcome in the API format the client spoke (OpenAI's, Gemini's, ...). */
public interface ReplyWriter {
  /**
   * Writes a successful OpenAI-shaped reply in the client's format; sets {@code call.usage} and
   * calls {@code call.complete} (for streams: once the stream ended), as accounting relies on both.
   */
  void reply(HttpServerResponse response, ProxyCall call, ProviderReply reply);

  /** Writes an error (unless the response already started). */
  void fail(HttpServerResponse response, ApiError error);
}
