package dev.tollgate.auth;

/**
 * Who is calling: identified only by the SHA-256 of the key they presented (never the key
 * itself), and whether they may use the admin API.
 */
public record Principal(String keyHash, boolean admin) {
  public static final Principal ANONYMOUS = new Principal("anonymous", true);
}
