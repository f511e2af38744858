package dev.tollgate.server;

import dev.tollgate.auth.ApiKeys;
import dev.tollgate.auth.Authenticator;
import dev.tollgate.call.ApiError;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Lets a request through with its principal, or answers the authenticator's refusal (400/401/403/503) in OpenAI's error shape. */
final class AuthHandler implements Handler<RoutingContext> {
  static final String PRINCIPAL = "tollgate.principal";
  private final Authenticator authenticator;
  private final boolean adminOnly;

  AuthHandler(Authenticator authenticator, boolean adminOnly) {
    this.authenticator = authenticator;
    this.adminOnly = adminOnly;
  }

  @Override
  public void handle(RoutingContext rc) {
    switch (authenticator.authenticate(ApiKeys.fromHeaders(rc.request().headers()), rc.request().headers())) {
      case Authenticator.Result.Allowed allowed -> {
        if (adminOnly && !allowed.principal().admin()) {
          new ApiError(403, "permission_error", "This route needs the master key or an admin key.", null, "403", null)
              .writeTo(rc.response());
          return;
        }
        rc.put(PRINCIPAL, allowed.principal());
        rc.next();
      }
      case Authenticator.Result.Denied denied -> new ApiError(denied.status(), denied.type(), denied.message(), null,
          Integer.toString(denied.status()), null).writeTo(rc.response());
    }
  }
}
