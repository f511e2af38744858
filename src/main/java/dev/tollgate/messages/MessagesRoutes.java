package dev.tollgate.messages;

import dev.tollgate.router.Router;
import dev.tollgate.server.GatewayVerticle;

/** Adds Anthropic's {@code /v1/messages} and {@code /v1/messages/count_tokens} to every event loop's router. */
public final class MessagesRoutes implements GatewayVerticle.RouteContributor {
  private final Router router;

  public MessagesRoutes(Router router) {
    this.router = router;
  }

  @Override
  public void register(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport support) {
    MessagesHandler handler = new MessagesHandler(router, support.dispatcher());
    web.post("/v1/messages").handler(support.body()).handler(support.llmApi()).handler(handler::messages);
    web.post("/v1/messages/count_tokens").handler(support.body()).handler(support.authenticated()).handler(handler::countTokens);
  }
}
