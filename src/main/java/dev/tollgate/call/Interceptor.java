package dev.tollgate.call;

import dev.tollgate.provider.ProviderReply;
import io.vertx.core.Future;

/**
 * One step of the request path (authenticate, limit, cache, route, call): it may answer itself,
 * or pass the call on to the rest of the chain and work on what comes back.
 */
public interface Interceptor {
  Future<ProviderReply> intercept(ProxyCall call, Chain next);

  /** The rest of the path after an interceptor. */
  interface Chain {
    Future<ProviderReply> proceed(ProxyCall call);
  }

  /** Builds the chain once; the last interceptor must answer without calling {@code next}. */
  static Chain chain(java.util.List<Interceptor> interceptors) {
    Chain tail = call -> Future.failedFuture(new IllegalStateException("the last interceptor must answer"));
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      Interceptor step = interceptors.get(i);
      Chain next = tail;
      tail = call -> step.intercept(call, next);
    }
    return tail;
  }
}
