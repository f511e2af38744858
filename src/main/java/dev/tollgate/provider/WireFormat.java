package dev.tollgate.provider;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** How one provider's responses become OpenAI's: whole bodies, streams and errors. */
public interface WireFormat {
  /** The provider's name as used in error messages. */
  String name();

  /** Translates a 2xx body into an OpenAI response body (identity for OpenAI-compatible upstreams). */
  Buffer completeResponse(UpstreamCall call, Buffer upstreamBody);

  /** A fresh decoder for one streaming response. */
  StreamDecoder streamDecoder(UpstreamCall call);

  /**
   * Whether a 2xx answer to a streaming request is a stream for {@link #streamDecoder}, by its
   * content type (null when absent); when not, its body is read and {@link #notAStream} fails the call.
   */
  default boolean isStream(String contentType) {
    return true;
  }

  /** The error for a 2xx answer to a streaming request that {@link #isStream} refused. */
  default UpstreamException notAStream(UpstreamCall call, Buffer body) {
    return OpenAiShapes.notAStream(name());
  }

  default UpstreamException error(int status, MultiMap headers, Buffer body) {
    return UpstreamErrors.fromResponse(name(), status, headers, body);
  }
}
