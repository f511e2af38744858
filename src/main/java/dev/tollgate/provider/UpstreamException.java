package dev.tollgate.provider;

import dev.tollgate.observe.logs.Secrets;
import java.time.Duration;
import java.util.Optional;

/**
 * A call that did not produce a usable response, already phrased as the OpenAI error the client
 * will see: HTTP status, type, message (with the gateway's secrets masked), param, code, and the
 * upstream's retry-after if any.
 */
public final class UpstreamException extends RuntimeException {
  private final int status;
  private final String type;
  private final String param;
  private final String code;
  private final Duration retryAfter;
  private final boolean gatewayStopping;

  public UpstreamException(int status, String type, String message, String param, String code, Duration retryAfter) {
    this(status, type, message, param, code, retryAfter, false);
  }

  private UpstreamException(int status, String type, String message, String param, String code, Duration retryAfter,
      boolean gatewayStopping) {
    // upstreams echo the key they were sent ("Incorrect API key provided: ..."): never pass it on
    super(Secrets.redact(message), null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfter = retryAfter;
    this.gatewayStopping = gatewayStopping;
  }

  public static UpstreamException of(int status, String message) {
    return new UpstreamException(status, typeFor(status), message, null, null, null);
  }

  /** A 503 because this gateway is stopping: not the deployment's fault, and no retry or fallback can help. */
  public static UpstreamException gatewayStopping(String message) {
    return new UpstreamException(503, typeFor(503), message, null, null, null, true);
  }

  public static UpstreamException timeout(String message) {
    return new UpstreamException(408, "timeout", message, null, "timeout", null);
  }

  public static UpstreamException unreachable(String message) {
    return new UpstreamException(502, "api_connection_error", message, null, "upstream_unreachable", null);
  }

  /** The same error with more said at the end of its message. */
  public UpstreamException withMessageEnding(String more) {
    return new UpstreamException(status, type, getMessage() + more, param, code, retryAfter, gatewayStopping);
  }

  public boolean gatewayStopping() {
    return gatewayStopping;
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }

  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** Whether another attempt (same or other deployment) may succeed: throttling, timeouts, server and connection errors. */
  public boolean retryable() {
    return status == 408 || status == 429 || status >= 500;
  }

  /** OpenAI's error type for an HTTP status. */
  public static String typeFor(int status) {
    return switch (status) {
      case 400, 404, 413, 422 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 408 -> "timeout";
      case 429 -> "rate_limit_error";
      case 502, 503 -> "api_connection_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }
}
