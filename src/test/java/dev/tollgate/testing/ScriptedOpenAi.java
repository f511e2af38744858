package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * OpenAI's chat completions for {@link FakeUpstream}: answers with one assistant message (text
 * and/or tool calls) as a {@code chat.completion}, or as {@code chat.completion.chunk}s (text word
 * by word, each tool call's arguments in two pieces, the usage chunk when asked) ending in [DONE].
 */
public final class ScriptedOpenAi {
  private ScriptedOpenAi() {}

  /**
   * {@code otherwise}, unless the request carries {@code stream_options}: then a 400 with
   * {@code errorBody}, as servers answer that do not take the field (Azure before 2024-09-01-preview,
   * older vLLM).
   */
  public static Handler<RoutingContext> refusingStreamOptions(String errorBody, Handler<RoutingContext> otherwise) {
    return rc -> {
      if (rc.body().asString().contains("stream_options")) {
        rc.response().setStatusCode(400).putHeader("content-type", "application/json").end(errorBody);
      } else {
        otherwise.handle(rc);
      }
    };
  }

  public static Handler<RoutingContext> answer(String text, ArrayNode toolCalls, String finishReason) {
    return answer(text, toolCalls, finishReason, 0);
  }

  public static Handler<RoutingContext> answer(String text, ArrayNode toolCalls, String finishReason, long gapMillis) {
    return answer(text, toolCalls, finishReason, gapMillis, PacedSse.ALWAYS);
  }

  /** Streamed chunks {@code gapMillis} apart, each written only once {@code mayWrite} accepts its index. */
  public static Handler<RoutingContext> answer(String text, ArrayNode toolCalls, String finishReason, long gapMillis,
      IntPredicate mayWrite) {
    return rc -> {
      JsonNode req;
      try {
        req = FakeAnthropic.JSON.readTree(rc.body().asString());
      } catch (Exception e) {
        rc.response().setStatusCode(400).end("{\"error\":{\"message\":\"bad json\",\"type\":\"invalid_request_error\"}}");
        return;
      }
      String model = req.path("model").asText();
      if (!req.path("stream").asBoolean(false)) {
        ObjectNode body = FakeAnthropic.JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion")
            .put("created", 1700000000L).put("model", model);
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        ObjectNode msg = choice.putObject("message").put("role", "assistant");
        if (text == null) {
          msg.putNull("content");
        } else {
          msg.put("content", text);
        }
        if (toolCalls != null) {
          msg.set("tool_calls", toolCalls);
        }
        choice.put("finish_reason", finishReason);
        body.set("usage", usage());
        rc.response().putHeader("content-type", "application/json").end(body.toString());
        return;
      }
      List<String> chunks = new ArrayList<>();
      if (rc.request().path().startsWith("/openai/deployments/")) {
        // Azure's content filter speaks first, in a chunk with empty ids and no choices
        chunks.add("{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,"
            + "\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}");
      }
      chunks.add(chunk(model, FakeAnthropic.JSON.createObjectNode().put("role", "assistant").put("content", ""), null).toString());
      if (text != null) {
        for (String word : text.split("(?<= )")) {
          chunks.add(chunk(model, FakeAnthropic.JSON.createObjectNode().put("content", word), null).toString());
        }
      }
      if (toolCalls != null) {
        for (int i = 0; i < toolCalls.size(); i++) {
          JsonNode tc = toolCalls.get(i);
          String args = tc.path("function").path("arguments").asText();
          ObjectNode first = FakeAnthropic.JSON.createObjectNode();
          ObjectNode call = first.putArray("tool_calls").addObject().put("index", i).put("id", tc.path("id").asText()).put("type", "function");
          call.putObject("function").put("name", tc.path("function").path("name").asText()).put("arguments", args.substring(0, args.length() / 2));
          chunks.add(chunk(model, first, null).toString());
          ObjectNode rest = FakeAnthropic.JSON.createObjectNode();
          rest.putArray("tool_calls").addObject().put("index", i).putObject("function").put("arguments", args.substring(args.length() / 2));
          chunks.add(chunk(model, rest, null).toString());
        }
      }
      chunks.add(chunk(model, FakeAnthropic.JSON.createObjectNode(), finishReason).toString());
      if (req.path("stream_options").path("include_usage").asBoolean(false)) {
        ObjectNode last = FakeAnthropic.JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion.chunk")
            .put("created", 1700000000L).put("model", model);
        last.putArray("choices");
        last.set("usage", usage());
        chunks.add(last.toString());
      }
      chunks.add("[DONE]");
      PacedSse.write(rc, "text/event-stream", chunks.stream().map(c -> "data: " + c + "\n\n").toList(), gapMillis, mayWrite);
    };
  }

  public static ArrayNode toolCalls(String... idNameArgs) {
    ArrayNode calls = FakeAnthropic.JSON.createArrayNode();
    for (int i = 0; i + 2 < idNameArgs.length; i += 3) {
      ObjectNode c = calls.addObject().put("id", idNameArgs[i]).put("type", "function");
      c.putObject("function").put("name", idNameArgs[i + 1]).put("arguments", idNameArgs[i + 2]);
    }
    return calls;
  }

  private static ObjectNode usage() {
    ObjectNode u = FakeAnthropic.JSON.createObjectNode().put("prompt_tokens", 12).put("completion_tokens", 7).put("total_tokens", 19);
    u.putObject("prompt_tokens_details").put("cached_tokens", 2);
    return u;
  }

  private static ObjectNode chunk(String model, ObjectNode delta, String finish) {
    ObjectNode c = FakeAnthropic.JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion.chunk")
        .put("created", 1700000000L).put("model", model);
    ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
    choice.set("delta", delta);
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    return c;
  }
}
