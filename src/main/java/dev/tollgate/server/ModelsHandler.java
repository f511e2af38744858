package dev.tollgate.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.Authenticator;
import dev.tollgate.auth.Principal;
import dev.tollgate.call.ApiError;
import dev.tollgate.json.Json;
import dev.tollgate.router.Router;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /v1/models} and {@code /v1/models/{id}} in OpenAI's list shape: the config's model names. */
final class ModelsHandler {
  /** LiteLLM reports this fixed creation time for every model; clients only display it. */
  private static final long CREATED = 1677610602L;
  private final Router router;
  private final Authenticator access;

  ModelsHandler(Router router, Authenticator access) {
    this.router = router;
    this.access = access;
  }

  /** The models the caller may call, as with LiteLLM: a virtual key with {@code models} sees those only, and its {@code aliases}. */
  void list(RoutingContext rc) {
    Principal caller = rc.get(AuthHandler.PRINCIPAL);
    ObjectNode body = Json.object().put("object", "list");
    ArrayNode data = body.putArray("data");
    for (String name : router.modelNames()) {
      if (caller == null || access.mayCall(caller, name)) {
        data.add(model(name));
      }
    }
    if (caller != null && caller.modelAliases() != null) {
      caller.modelAliases().fieldNames().forEachRemaining(alias -> {
        if (router.group(alias).isEmpty() && access.mayCall(caller, alias, caller.modelGroupFor(alias))) {
          data.add(model(alias));
        }
      });
    }
    rc.response().putHeader("content-type", "application/json").end(Json.buffer(body));
  }

  void one(RoutingContext rc) {
    String id = rc.pathParam("id");
    if (router.group(id).isEmpty()) {
      new ApiError(404, "invalid_request_error", "The model '" + id + "' does not exist. Available models: "
          + String.join(", ", router.modelNames()), "model", "model_not_found", null).writeTo(rc.response());
      return;
    }
    rc.response().putHeader("content-type", "application/json").end(Json.buffer(model(id)));
  }

  private static ObjectNode model(String name) {
    return Json.object().put("id", name).put("object", "model").put("created", CREATED).put("owned_by", "openai");
  }
}
