package dev.tollgate.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;

/**
 * Emits OpenAI {@code chat.completion.chunk}s for one translated stream: the role on the first
 * delta, text, reasoning and tool-call deltas, the finish reason, and a closing usage chunk.
 */
public final class ChunkWriter {
  private final String id;
  private final String model;
  private final long created = System.currentTimeMillis() / 1000;
  private boolean roleSent;
  private String finishReason;

  public ChunkWriter(String id, String model) {
    this.id = id;
    this.model = model;
  }

  public void text(StreamDecoder.Emitter out, String text) {
    if (text != null && !text.isEmpty()) {
      ObjectNode delta = Json.object();
      delta.put("content", text);
      emit(out, delta, null);
    }
  }

  public void reasoning(StreamDecoder.Emitter out, String text) {
    if (text != null && !text.isEmpty()) {
      emit(out, Json.object().put("reasoning_content", text), null);
    }
  }

  /** A tool call delta: {@code id} and {@code name} on its first delta only, argument text as it comes. */
  public void toolCall(StreamDecoder.Emitter out, int index, String callId, String name, String arguments) {
    ObjectNode delta = Json.object();
    ObjectNode tc = delta.putArray("tool_calls").addObject().put("index", index);
    if (callId != null) {
      tc.put("id", callId).put("type", "function");
    }
    ObjectNode fn = tc.putObject("function");
    if (name != null) {
      fn.put("name", name);
    }
    fn.put("arguments", arguments == null ? "" : arguments);
    emit(out, delta, null);
  }

  public void finish(StreamDecoder.Emitter out, String reason) {
    finishReason = reason;
    emit(out, Json.object(), reason);
  }

  /** The last chunk: no choices, only usage (dropped by the relay unless the client asked for it). */
  public void usage(StreamDecoder.Emitter out, ObjectNode usage) {
    ObjectNode c = base();
    c.putArray("choices");
    c.set("usage", usage);
    out.chunk(Json.buffer(c));
  }

  public boolean finished() {
    return finishReason != null;
  }

  private void emit(StreamDecoder.Emitter out, ObjectNode delta, String finish) {
    if (!roleSent) {
      roleSent = true;
      ObjectNode withRole = Json.object().put("role", "assistant");
      withRole.setAll(delta);
      delta = withRole;
    }
    ObjectNode c = base();
    ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    out.chunk(Json.buffer(c));
  }

  private ObjectNode base() {
    return Json.object().put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
  }
}
