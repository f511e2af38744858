package dev.tollgate.auth;

import dev.tollgate.provider.UpstreamException;
import io.vertx.core.MultiMap;

/** Decides, from memory only (no I/O on the request path), who a request's key belongs to. */
public interface Authenticator {
  Result authenticate(String presentedKey, MultiMap headers);

  /** Whether the caller may call a model group (what {@code /v1/models} lists for it). */
  default boolean mayCall(Principal caller, String modelGroup) {
    return true;
  }

  /** Whether the caller may call {@code requested}, a name its key's aliases send to {@code modelGroup}. */
  default boolean mayCall(Principal caller, String requested, String modelGroup) {
    return mayCall(caller, modelGroup);
  }

  /**
   * Why the caller may not use routes whose calls the gateway does not meter (the pass-through
   * routes: no model check, no budget, no rate limit, no spend), or null when they may.
   */
  default String unmeteredRefusal(Principal caller) {
    return null;
  }

  /** Allowed with a principal, or denied with the status, error type and message the client sees. */
  sealed interface Result {
    record Allowed(Principal principal) implements Result {}

    record Denied(int status, String type, String message) implements Result {
      /** The usual type for the status ({@code authentication_error} for 401). */
      public Denied(int status, String message) {
        this(status, UpstreamException.typeFor(status), message);
      }
    }
  }
}
