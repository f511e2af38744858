package dev.tollgate.call;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import dev.tollgate.provider.UpstreamException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;

/** An error in OpenAI's shape: {@code {"error":{"message","type","param","code"}}} with its HTTP status. */
public record ApiError(int status, String type, String message, String param, String code, Duration retryAfter) {

  public static ApiError of(int status, String message) {
    return new ApiError(status, UpstreamException.typeFor(status), message, null, null, null);
  }

  public static ApiError badRequest(String message, String param) {
    return new ApiError(400, "invalid_request_error", message, param, null, null);
  }

  public static ApiError from(UpstreamException e) {
    return new ApiError(e.status(), e.type(), e.getMessage(), e.param(), e.code(), e.retryAfter().orElse(null));
  }

  public ObjectNode json() {
    ObjectNode root = Json.object();
    ObjectNode err = root.putObject("error");
    err.put("message", message);
    err.put("type", type);
    if (param == null) {
      err.putNull("param");
    } else {
      err.put("param", param);
    }
    err.put("code", code == null ? Integer.toString(status) : code);
    return root;
  }

  public Buffer body() {
    return Json.buffer(json());
  }

  /** Writes the error unless the response already started (then there is nothing honest to add). */
  public void writeTo(HttpServerResponse response) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status).putHeader("content-type", "application/json");
    if (retryAfter != null) {
      response.putHeader("retry-after", Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000)));
    }
    response.end(body());
  }
}
