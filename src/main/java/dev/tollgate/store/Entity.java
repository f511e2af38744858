package dev.tollgate.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A row of {@code tg_entity}: a virtual key (id = SHA-256 of the key), user, team, end user
 * (customer) or budget. The columns the admin API filters on are fields; the rest of what the
 * admin API accepts lives in {@code settings}.
 */
public record Entity(String kind, String id, String alias, String userId, String teamId, double spend,
    Long budgetResetAt, boolean blocked, Long expires, ObjectNode settings, long createdAt, long updatedAt) {
  public static final String KEY = "key";
  public static final String USER = "user";
  public static final String TEAM = "team";
  public static final String CUSTOMER = "customer";
  public static final String BUDGET = "budget";

  public Entity withBlocked(boolean nowBlocked, long at) {
    return new Entity(kind, id, alias, userId, teamId, spend, budgetResetAt, nowBlocked, expires, settings, createdAt, at);
  }

  public Entity withSettings(ObjectNode newSettings, long at) {
    return new Entity(kind, id, alias, userId, teamId, spend, budgetResetAt, blocked, expires, newSettings, createdAt, at);
  }

  public Entity withSpend(double newSpend, Long resetAt) {
    return new Entity(kind, id, alias, userId, teamId, newSpend, resetAt, blocked, expires, settings, createdAt, updatedAt);
  }
}
