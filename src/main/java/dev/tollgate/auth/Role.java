package dev.tollgate.auth;

/**
 * LiteLLM's user roles ({@code user_role} of a key's user), as far as the admin API cares. A key
 * whose user has no role, or the roles {@code team} and {@code customer}, is {@link #NONE}: it may
 * call models, read its own key and the models it may call, and nothing else.
 */
public enum Role {
  /** Everything. The master key is one. */
  PROXY_ADMIN("proxy_admin"),
  /** Reads everything, changes nothing. */
  PROXY_ADMIN_VIEWER("proxy_admin_viewer"),
  /** Creates, reads, changes and deletes the keys of its own user; reads its own user and spend. */
  INTERNAL_USER("internal_user"),
  /** Reads the keys, user and spend of its own user; changes nothing. */
  INTERNAL_USER_VIEWER("internal_user_viewer"),
  NONE(null);

  private final String wireName;

  Role(String wireName) {
    this.wireName = wireName;
  }

  /** The role of a {@code user_role} value; {@link #NONE} for null or any other value. */
  public static Role of(String userRole) {
    if (userRole != null) {
      for (Role r : values()) {
        if (userRole.equals(r.wireName)) {
          return r;
        }
      }
    }
    return NONE;
  }

  /** As LiteLLM spells it ({@code proxy_admin}, ...), or "no role". */
  @Override
  public String toString() {
    return wireName == null ? "no role" : wireName;
  }
}
