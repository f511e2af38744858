package dev.tollgate.call;

/** Thrown (or failed with) by an interceptor that answers the client with an error itself (429, 403, ...). */
public final class ApiException extends RuntimeException {
  private final ApiError error;

  public ApiException(ApiError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
