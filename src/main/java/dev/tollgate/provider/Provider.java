package dev.tollgate.provider;

import io.vertx.core.Future;

/**
 * One provider's wire format. An adapter receives an OpenAI-shaped request and answers with an
 * OpenAI-shaped reply, whatever the upstream speaks.
 *
 * <p>The returned future completes with the whole response (non-streaming) or as soon as the
 * first chunk arrived (streaming), so that callers may retry or fall back until that moment; it
 * fails with {@link UpstreamException} when the upstream answered with an error or not at all.
 */
public interface Provider {
  Future<ProviderReply> send(UpstreamCall call);
}
