package dev.tollgate.server;

import dev.tollgate.auth.ApiKeys;
import dev.tollgate.auth.Authenticator;
import dev.tollgate.auth.Principal;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.RefusedRequests;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Lets a request through with its principal, or answers the authenticator's refusal (400/401/403/503) in OpenAI's error shape. */
final class AuthHandler implements Handler<RoutingContext> {
  static final String PRINCIPAL = "tollgate.principal";

  /** What a route needs of its caller beyond a valid key. */
  enum Need {
    KEY,
    /** routes the gateway does not meter (pass-through): callers without model, budget or rate limits */
    UNMETERED,
    ADMIN
  }

  private final Authenticator authenticator;
  private final Need need;
  private final RefusedRequests refusals;

  AuthHandler(Authenticator authenticator, Need need) {
    this(authenticator, need, RefusedRequests.NONE);
  }

  /** {@code refusals}: told of each request this handler refuses (the LLM API routes, whose refusals metrics count). */
  AuthHandler(Authenticator authenticator, Need need, RefusedRequests refusals) {
    this.authenticator = authenticator;
    this.need = need;
    this.refusals = refusals;
  }

  @Override
  public void handle(RoutingContext rc) {
    switch (authenticator.authenticate(ApiKeys.fromHeaders(rc.request().headers()), rc.request().headers())) {
      case Authenticator.Result.Allowed allowed -> {
        String refusal = refusal(allowed.principal());
        if (refusal != null) {
          new ApiError(403, "permission_error", refusal, null, "403", null).writeTo(rc.response());
          refusals.refused(allowed.principal(), null, null, 403);
          return;
        }
        rc.put(PRINCIPAL, allowed.principal());
        rc.next();
      }
      case Authenticator.Result.Denied denied -> {
        new ApiError(denied.status(), denied.type(), denied.message(), null, Integer.toString(denied.status()), null)
            .writeTo(rc.response());
        refusals.refused(null, null, null, denied.status());
      }
    }
  }

  private String refusal(Principal caller) {
    return switch (need) {
      case KEY -> null;
      case UNMETERED -> authenticator.unmeteredRefusal(caller);
      case ADMIN -> caller.admin() ? null : "This route needs the master key or an admin key.";
    };
  }
}
