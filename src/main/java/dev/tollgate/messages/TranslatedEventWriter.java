package dev.tollgate.messages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.provider.UpstreamErrors;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.provider.anthropic.AnthropicWire;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns a stream of OpenAI chunks into Anthropic's events as they arrive: message_start on the
 * first chunk, a content block per run of text / reasoning and per tool call (arguments as
 * input_json_delta), then message_delta (stop reason, usage) and message_stop.
 */
final class TranslatedEventWriter extends EventWriter {
  private final String model;
  private final int estimatedInput;
  /** OpenAI tool_calls index → Anthropic content block index. */
  private final Map<Integer, Integer> toolBlocks = new HashMap<>();
  private boolean started;
  private int openBlock = -1;
  private String openKind;
  private int nextBlock;
  private String finishReason;
  private JsonNode usage;

  TranslatedEventWriter(HttpServerResponse response, ProxyCall call, String model) {
    super(response, call);
    this.model = model;
    this.estimatedInput = TokenEstimate.ofRequest(call.body);
  }

  @Override
  public void onChunk(Buffer json) {
    call.chunkSent(json);
    JsonNode chunk = Json.tryParse(json);
    if (chunk == null || !chunk.isObject()) {
      fail(UpstreamException.unreachable("the model's stream sent a chunk that is not JSON: "
          + (json.length() > 120 ? json.getString(0, 120) + "..." : json.toString())));
      return;
    }
    if (chunk.has("error")) {
      fail(UpstreamErrors.fromResponse("upstream", 500, null, json));
      return;
    }
    if (chunk.path("usage").isObject()) {
      usage = chunk.get("usage");
      call.usage = Usage.of(chunk);
    }
    if (!started) {
      messageStart(chunk.path("id").asText("gateway"));
    }
    JsonNode choice = chunk.path("choices").path(0);
    JsonNode delta = choice.path("delta");
    String reasoning = delta.path("reasoning_content").asText("");
    if (!reasoning.isEmpty()) {
      block("thinking", Json.object().put("type", "thinking").put("thinking", "").put("signature", ""));
      blockDelta(openBlock, Json.object().put("type", "thinking_delta").put("thinking", reasoning));
    }
    String text = delta.path("content").asText("");
    if (!text.isEmpty()) {
      block("text", Json.object().put("type", "text").put("text", ""));
      blockDelta(openBlock, Json.object().put("type", "text_delta").put("text", text));
    }
    for (JsonNode tc : delta.path("tool_calls")) {
      int index = tc.path("index").asInt(0);
      Integer blockIndex = toolBlocks.get(index);
      if (blockIndex == null) {
        closeBlock();
        ObjectNode use = Json.object().put("type", "tool_use").put("id", tc.path("id").asText("toolu_" + index))
            .put("name", tc.path("function").path("name").asText());
        use.putObject("input");
        openBlock(null, use);
        toolBlocks.put(index, openBlock);
        blockIndex = openBlock;
      }
      String args = tc.path("function").path("arguments").asText("");
      if (!args.isEmpty()) {
        blockDelta(blockIndex, Json.object().put("type", "input_json_delta").put("partial_json", args));
      }
    }
    if (choice.hasNonNull("finish_reason")) {
      finishReason = choice.get("finish_reason").asText();
    }
  }

  @Override
  public void onEnd() {
    if (finishReason == null) {
      // every complete OpenAI stream ends its choice with a finish_reason; without one it was cut off
      onError(UpstreamException.unreachable(started ? "the model's stream ended without a finish_reason (truncated)"
          : "the model's stream ended without any chunk"));
      return;
    }
    closeBlock();
    ObjectNode delta = Json.object().put("type", "message_delta");
    delta.putObject("delta").put("stop_reason", AnthropicWire.stopReason(finishReason))
        .putNull("stop_sequence");
    ObjectNode u = usage != null ? AnthropicWire.anthropicUsage(usage) : Json.object().put("output_tokens", 0);
    delta.set("usage", u);
    write("message_delta", delta);
    write("message_stop", Json.object().put("type", "message_stop"));
    finish();
  }

  private void messageStart(String id) {
    started = true;
    ObjectNode event = Json.object().put("type", "message_start");
    ObjectNode msg = event.putObject("message").put("id", MessagesResponse.messageId(id)).put("type", "message")
        .put("role", "assistant").put("model", model);
    msg.putArray("content");
    msg.putNull("stop_reason").putNull("stop_sequence");
    msg.putObject("usage").put("input_tokens", estimatedInput).put("output_tokens", 0);
    write("message_start", event);
  }

  /** Makes sure a block of this kind is the open one (text and thinking runs continue their block). */
  private void block(String kind, ObjectNode contentBlock) {
    if (openBlock >= 0 && kind.equals(openKind)) {
      return;
    }
    closeBlock();
    openBlock(kind, contentBlock);
  }

  private void openBlock(String kind, ObjectNode contentBlock) {
    openBlock = nextBlock++;
    openKind = kind;
    ObjectNode event = Json.object().put("type", "content_block_start").put("index", openBlock);
    event.set("content_block", contentBlock);
    write("content_block_start", event);
  }

  private void blockDelta(int index, ObjectNode delta) {
    ObjectNode event = Json.object().put("type", "content_block_delta").put("index", index);
    event.set("delta", delta);
    write("content_block_delta", event);
  }

  private void closeBlock() {
    if (openBlock < 0) {
      return;
    }
    write("content_block_stop", Json.object().put("type", "content_block_stop").put("index", openBlock));
    openBlock = -1;
    openKind = null;
  }
}
