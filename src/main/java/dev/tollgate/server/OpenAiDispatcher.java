package dev.tollgate.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.provider.Endpoint;
import io.vertx.ext.web.RoutingContext;

/**
 * The gateway's request path for front doors that speak another API format: they translate the
 * client's request into an OpenAI body, dispatch it here (model check, interceptors, routing,
 * provider) and answer through their own {@link ReplyWriter}.
 */
public interface OpenAiDispatcher {
  void dispatch(RoutingContext rc, Endpoint endpoint, ObjectNode body, ReplyWriter writer, long startNanos);
}
