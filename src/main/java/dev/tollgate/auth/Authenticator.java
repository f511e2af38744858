package dev.tollgate.auth;

import io.vertx.core.MultiMap;

/** Decides, from memory only (no I/O on the request path), who a request's key belongs to. */
public interface Authenticator {
  Result authenticate(String presentedKey, MultiMap headers);

  /** Allowed with a principal, or denied with the status and message the client sees. */
  sealed interface Result {
    record Allowed(Principal principal) implements Result {}

    record Denied(int status, String message) implements Result {}
  }
}
