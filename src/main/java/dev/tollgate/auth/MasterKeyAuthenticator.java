package dev.tollgate.auth;

import io.vertx.core.MultiMap;

/**
 * The master key ({@code general_settings.master_key} or {@code LITELLM_MASTER_KEY}). Without
 * one the gateway does not run open: every call is refused with a message saying how to set a
 * key, unless {@code general_settings.allow_unauthenticated: true} explicitly opts out.
 */
public final class MasterKeyAuthenticator implements Authenticator {
  static final String NO_KEY_MESSAGE = "Tollgate has no master key configured, so it refuses every call. "
      + "Set LITELLM_MASTER_KEY or general_settings.master_key (or general_settings.allow_unauthenticated: true "
      + "to run without authentication, which is not recommended).";

  private final byte[] masterDigest;
  private final String masterHash;
  private final boolean allowUnauthenticated;

  public MasterKeyAuthenticator(String masterKey, boolean allowUnauthenticated) {
    this.masterDigest = masterKey == null ? null : ApiKeys.sha256(masterKey);
    this.masterHash = masterKey == null ? null : ApiKeys.sha256Hex(masterKey);
    this.allowUnauthenticated = allowUnauthenticated;
  }

  public boolean hasMasterKey() {
    return masterDigest != null;
  }

  @Override
  public Result authenticate(String presentedKey, MultiMap headers) {
    if (masterDigest == null) {
      return allowUnauthenticated ? new Result.Allowed(Principal.ANONYMOUS) : new Result.Denied(401, NO_KEY_MESSAGE);
    }
    if (presentedKey == null || presentedKey.isEmpty()) {
      return new Result.Denied(401, "Authentication error: no API key passed in. Send it as 'Authorization: Bearer <key>' "
          + "(or x-api-key / api-key / x-litellm-api-key).");
    }
    if (ApiKeys.matches(masterDigest, presentedKey)) {
      return new Result.Allowed(Principal.master(masterHash));
    }
    return new Result.Denied(401, "Authentication error: invalid API key.");
  }
}
