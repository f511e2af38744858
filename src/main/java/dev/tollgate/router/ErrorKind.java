package dev.tollgate.router;

import dev.tollgate.provider.UpstreamException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The kinds of failure LiteLLM's retry policies and fallbacks tell apart, read from an upstream error. */
public enum ErrorKind {
  BAD_REQUEST("BadRequestErrorRetries"),
  AUTHENTICATION("AuthenticationErrorRetries"),
  NOT_FOUND(null),
  TIMEOUT("TimeoutErrorRetries"),
  RATE_LIMIT("RateLimitErrorRetries"),
  CONTENT_POLICY("ContentPolicyViolationErrorRetries"),
  CONTEXT_WINDOW(null),
  INTERNAL_SERVER("InternalServerErrorRetries");

  private final String policyKey;

  ErrorKind(String policyKey) {
    this.policyKey = policyKey;
  }

  public static ErrorKind of(UpstreamException e) {
    int status = e.status();
    String code = String.valueOf(e.code()).toLowerCase(Locale.ROOT);
    String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (status == 408) {
      return TIMEOUT;
    }
    if (status == 429) {
      return RATE_LIMIT;
    }
    if (status == 401 || status == 403) {
      return AUTHENTICATION;
    }
    if (status == 404) {
      return NOT_FOUND;
    }
    if (status >= 500) {
      return INTERNAL_SERVER;
    }
    if (code.contains("context_length") || message.contains("context length") || message.contains("context window")
        || message.contains("maximum context")) {
      return CONTEXT_WINDOW;
    }
    if (code.contains("content_policy") || code.contains("content_filter") || message.contains("content policy")
        || message.contains("content management policy")) {
      return CONTENT_POLICY;
    }
    return BAD_REQUEST;
  }

  /** Whether a retry may help without a retry policy asking for it. */
  public boolean retryableByDefault() {
    return this == TIMEOUT || this == RATE_LIMIT || this == INTERNAL_SERVER;
  }

  /** Whether a deployment that failed like this is taken out of rotation at once (LiteLLM: 429, 401, 404, 408). */
  public boolean coolsDownAtOnce() {
    return this == RATE_LIMIT || this == AUTHENTICATION || this == NOT_FOUND || this == TIMEOUT;
  }

  public static Optional<ErrorKind> fromPolicyKey(String key) {
    return Arrays.stream(values()).filter(k -> key.equals(k.policyKey)).findFirst();
  }

  public static List<String> policyKeys() {
    return Arrays.stream(values()).map(k -> k.policyKey).filter(k -> k != null).toList();
  }
}
