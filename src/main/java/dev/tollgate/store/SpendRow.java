package dev.tollgate.store;

/**
 * One request's spend, as stored in {@code tg_spend_log} (LiteLLM_SpendLogs' fields that matter).
 * {@code apiKey} is the SHA-256 of the key, never the key; times are epoch milliseconds.
 */
public record SpendRow(String requestId, String callType, String apiKey, double spend, long promptTokens,
    long completionTokens, long startTime, long endTime, String model, String modelId, String modelGroup,
    String provider, String apiBase, String userId, String teamId, String endUser, String status, boolean cacheHit,
    String metadata) {

  public long totalTokens() {
    return promptTokens + completionTokens;
  }
}
