package dev.tollgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.json.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * A fake OpenAI API on top of {@link FakeUpstream}: chat completions (JSON and SSE, tool calls,
 * {@code n}, logprobs, the usage chunk of {@code stream_options.include_usage}), completions,
 * embeddings and OpenAI's error bodies (also its 400 for a {@code stream_options} value of the wrong
 * type), in OpenAI's exact wire format. What it answers, and how
 * badly, is set by the test and holds until {@link #reset()}:
 *
 * <pre>{@code
 * FakeOpenAi ai = FakeOpenAi.start();        // api_base: ai.apiBase()
 * ai.answer("Hi there").chunkDelay(Duration.ofMillis(50));
 * ai.fail(429, "Rate limit reached").retryAfter("7");
 * ai.hang(); ai.breakAfter(2); ai.endAfter(2); ai.invalidChunkAfter(1); ai.headersDelay(d); ai.firstChunkDelay(Duration.ofSeconds(2));
 * }</pre>
 */
public final class FakeOpenAi implements AutoCloseable {
  public static final String DEFAULT_ANSWER = "Hello from the fake OpenAI upstream!";

  private final FakeUpstream upstream;
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicInteger aborted = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();

  private volatile String answer;
  private volatile String toolName;
  private volatile String toolArguments;
  private volatile Duration headersDelay;
  private volatile Duration firstChunkDelay;
  private volatile Duration chunkDelay;
  private volatile int failStatus;
  private volatile String failMessage;
  private volatile String retryAfter;
  private volatile boolean hang;
  private volatile int breakAfter;
  private volatile int endAfter;
  private volatile int invalidChunkAfter;
  private volatile int errorEventAfter;

  private FakeOpenAi(FakeUpstream upstream) {
    this.upstream = upstream;
    reset();
  }

  public static FakeOpenAi start() {
    FakeOpenAi ai = new FakeOpenAi(FakeUpstream.start());
    for (String prefix : List.of("", "/v1")) {
      ai.upstream.onPost(prefix + "/chat/completions", rc -> ai.handle(rc, Kind.CHAT));
      ai.upstream.onPost(prefix + "/completions", rc -> ai.handle(rc, Kind.COMPLETION));
      ai.upstream.onPost(prefix + "/embeddings", rc -> ai.handle(rc, Kind.EMBEDDING));
    }
    return ai;
  }

  /** The base URL to put in {@code api_base}: {@code http://127.0.0.1:PORT/v1}. */
  public String apiBase() {
    return upstream.url() + "/v1";
  }

  public FakeUpstream upstream() {
    return upstream;
  }

  /** Back to a healthy, fast upstream answering {@link #DEFAULT_ANSWER}. */
  public FakeOpenAi reset() {
    answer = DEFAULT_ANSWER;
    toolName = null;
    toolArguments = null;
    headersDelay = Duration.ZERO;
    firstChunkDelay = Duration.ZERO;
    chunkDelay = Duration.ZERO;
    failStatus = 0;
    failMessage = null;
    retryAfter = null;
    hang = false;
    breakAfter = -1;
    endAfter = -1;
    invalidChunkAfter = -1;
    errorEventAfter = -1;
    return this;
  }

  /** The assistant's text (split into one stream chunk per word). */
  public FakeOpenAi answer(String text) {
    this.answer = text;
    return this;
  }

  /** Answers with a call of this function instead of text ({@code finish_reason: tool_calls}). */
  public FakeOpenAi toolCall(String name, String argumentsJson) {
    this.toolName = name;
    this.toolArguments = argumentsJson;
    return this;
  }

  /** Waits this long before answering at all (status and headers included). */
  public FakeOpenAi headersDelay(Duration d) {
    this.headersDelay = d;
    return this;
  }

  /** Waits this long before the first stream chunk (headers go out at once), or before a JSON answer. */
  public FakeOpenAi firstChunkDelay(Duration d) {
    this.firstChunkDelay = d;
    return this;
  }

  /** Waits this long between stream chunks. */
  public FakeOpenAi chunkDelay(Duration d) {
    this.chunkDelay = d;
    return this;
  }

  /** Answers every request with an OpenAI error body and this status. */
  public FakeOpenAi fail(int status, String message) {
    this.failStatus = status;
    this.failMessage = message;
    return this;
  }

  /** The {@code retry-after} header of the error answers. */
  public FakeOpenAi retryAfter(String value) {
    this.retryAfter = value;
    return this;
  }

  /** Never answers (not even headers) until the caller gives up and closes the connection. */
  public FakeOpenAi hang() {
    this.hang = true;
    return this;
  }

  /** Closes the connection after this many stream chunks, without ending the response. */
  public FakeOpenAi breakAfter(int chunks) {
    this.breakAfter = chunks;
    return this;
  }

  /**
   * Ends the response cleanly after this many stream chunks, without {@code [DONE]}; with more
   * chunks than the answer has, only {@code [DONE]} is left out.
   */
  public FakeOpenAi endAfter(int chunks) {
    this.endAfter = chunks;
    return this;
  }

  /** After this many chunks, sends an error event as OpenAI does when it fails mid-stream, and ends the response. */
  public FakeOpenAi errorEventAfter(int chunks) {
    this.errorEventAfter = chunks;
    return this;
  }

  /** Sends a truncated, invalid JSON chunk after this many good ones, then carries on. */
  public FakeOpenAi invalidChunkAfter(int chunks) {
    this.invalidChunkAfter = chunks;
    return this;
  }

  /** The JSON body of the last request the fake received. */
  public JsonNode lastBody() {
    return Json.tryParse(upstream.last().body());
  }

  public int requestCount() {
    return upstream.received().size();
  }

  /** Requests whose connection the caller closed before the answer was complete. */
  public int abortedRequests() {
    return aborted.get();
  }

  /** Responses the fake finished sending. */
  public int completedResponses() {
    return completed.get();
  }

  /** Waits until at least {@code n} requests were aborted by the caller; false on time-out. */
  public boolean awaitAborted(int n, Duration within) throws InterruptedException {
    return awaitAtLeast(aborted::get, n, within);
  }

  /** Waits until the fake has received at least {@code n} requests; false on time-out. */
  public boolean awaitRequests(int n, Duration within) throws InterruptedException {
    return awaitAtLeast(this::requestCount, n, within);
  }

  private static boolean awaitAtLeast(IntSupplier count, int n, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (count.getAsInt() < n) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  @Override
  public void close() {
    upstream.close();
  }

  private enum Kind { CHAT, COMPLETION, EMBEDDING }

  private void handle(RoutingContext rc, Kind kind) {
    HttpServerResponse response = rc.response();
    // one request at a time per HTTP/1.1 connection: the handler of the latest request is the one that counts
    rc.request().connection().closeHandler(v -> {
      if (!response.ended()) {
        aborted.incrementAndGet();
      }
    });
    if (hang) {
      return;
    }
    later(headersDelay, rc, () -> respond(rc, kind));
  }

  private void respond(RoutingContext rc, Kind kind) {
    HttpServerResponse response = rc.response();
    JsonNode request = Json.tryParse(rc.body().buffer());
    if (request == null || !request.isObject()) {
      error(response, 400, "We could not parse the JSON body of your request.", null);
      return;
    }
    if (failStatus != 0) {
      error(response, failStatus, failMessage, retryAfter);
      return;
    }
    for (Map.Entry<String, JsonNode> option : request.path("stream_options").properties()) {
      if (!option.getValue().isBoolean()) {
        error(response, 400, "Invalid type for 'stream_options." + option.getKey() + "': expected a boolean, but got a "
            + option.getValue().getNodeType().name().toLowerCase() + " instead.", null);
        return;
      }
    }
    String model = request.path("model").asText("gpt-4o");
    if (kind == Kind.EMBEDDING) {
      later(firstChunkDelay, rc, () -> json(response, embeddings(request, model)));
    } else if (request.path("stream").asBoolean(false)) {
      stream(rc, chunks(kind, request, model));
    } else {
      later(firstChunkDelay, rc, () -> json(response, kind == Kind.CHAT ? chatCompletion(request, model) : completion(request, model)));
    }
  }

  // ---- JSON answers

  private ObjectNode chatCompletion(JsonNode request, String model) {
    ObjectNode body = head("chatcmpl-", "chat.completion", model);
    ArrayNode choices = body.putArray("choices");
    for (int i = 0; i < choiceCount(request); i++) {
      ObjectNode choice = choices.addObject().put("index", i);
      ObjectNode message = choice.putObject("message").put("role", "assistant");
      if (toolName != null) {
        message.putNull("content");
        message.putArray("tool_calls").addObject().put("id", "call_" + i).put("type", "function")
            .putObject("function").put("name", toolName).put("arguments", toolArguments);
      } else {
        message.put("content", answer);
      }
      message.putNull("refusal");
      message.putArray("annotations");
      if (request.path("logprobs").asBoolean(false)) {
        logprobs(choice.putObject("logprobs"), words(answer));
      } else {
        choice.putNull("logprobs");
      }
      choice.put("finish_reason", toolName != null ? "tool_calls" : "stop");
    }
    body.set("usage", usage(request));
    body.put("service_tier", "default");
    return body;
  }

  private ObjectNode completion(JsonNode request, String model) {
    ObjectNode body = head("cmpl-", "text_completion", model);
    ArrayNode choices = body.putArray("choices");
    for (int i = 0; i < choiceCount(request); i++) {
      choices.addObject().put("text", answer).put("index", i).putNull("logprobs").put("finish_reason", "stop");
    }
    body.set("usage", usage(request));
    return body;
  }

  private static ObjectNode embeddings(JsonNode request, String model) {
    JsonNode input = request.path("input");
    int count = input.isArray() && (input.isEmpty() || input.get(0).isTextual() || input.get(0).isArray()) ? input.size() : 1;
    boolean base64 = "base64".equals(request.path("encoding_format").asText());
    ObjectNode body = Json.object().put("object", "list");
    ArrayNode data = body.putArray("data");
    for (int i = 0; i < count; i++) {
      float[] vector = {0.1f * (i + 1), -0.2f, 0.3f, 0.0f};
      ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
      if (base64) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : vector) {
          bytes.putFloat(f);
        }
        item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
      } else {
        ArrayNode v = item.putArray("embedding");
        for (float f : vector) {
          v.add(f);
        }
      }
    }
    body.put("model", model);
    body.putObject("usage").put("prompt_tokens", 3 * count).put("total_tokens", 3 * count);
    return body;
  }

  private ObjectNode head(String idPrefix, String object, String model) {
    return Json.object().put("id", idPrefix + "fake" + ids.incrementAndGet()).put("object", object)
        .put("created", System.currentTimeMillis() / 1000).put("model", model).put("system_fingerprint", "fp_fake");
  }

  private ObjectNode usage(JsonNode request) {
    int prompt = Math.max(1, request.path("messages").toString().length() / 4 + request.path("prompt").toString().length() / 4);
    int completion = words(answer).size() * choiceCount(request);
    ObjectNode u = Json.object().put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    u.putObject("prompt_tokens_details").put("cached_tokens", 0).put("audio_tokens", 0);
    u.putObject("completion_tokens_details").put("reasoning_tokens", 0).put("audio_tokens", 0)
        .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0);
    return u;
  }

  private static void logprobs(ObjectNode logprobs, List<String> tokens) {
    ArrayNode content = logprobs.putArray("content");
    for (String t : tokens) {
      ObjectNode entry = content.addObject().put("token", t).put("logprob", -0.25);
      ArrayNode bytes = entry.putArray("bytes");
      for (byte b : t.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
        bytes.add(b & 0xff);
      }
      entry.putArray("top_logprobs");
    }
    logprobs.putNull("refusal");
  }

  private static int choiceCount(JsonNode request) {
    return Math.max(1, request.path("n").asInt(1));
  }

  // ---- streams

  /** The SSE payloads of a streamed answer, as OpenAI sends them (without {@code [DONE]}). */
  private List<ObjectNode> chunks(Kind kind, JsonNode request, String model) {
    boolean chat = kind == Kind.CHAT;
    boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
    String id = (chat ? "chatcmpl-" : "cmpl-") + "fake" + ids.incrementAndGet();
    List<String> pieces = toolName != null && chat ? splitArguments(toolArguments) : words(answer);
    List<ObjectNode> out = new ArrayList<>();
    int n = choiceCount(request);
    for (int i = 0; i < n; i++) {
      if (chat) {
        ObjectNode delta = Json.object().put("role", "assistant");
        if (toolName != null) {
          delta.putNull("content");
          delta.putArray("tool_calls").addObject().put("index", 0).put("id", "call_" + i).put("type", "function")
              .putObject("function").put("name", toolName).put("arguments", "");
        } else {
          delta.put("content", "");
        }
        delta.putNull("refusal");
        out.add(chunk(id, chat, model, i, delta, null, includeUsage));
      }
    }
    for (String piece : pieces) {
      for (int i = 0; i < n; i++) {
        ObjectNode delta = Json.object();
        if (!chat) {
          out.add(chunk(id, false, model, i, delta.put("text", piece), null, includeUsage));
        } else if (toolName != null) {
          delta.putArray("tool_calls").addObject().put("index", 0).putObject("function").put("arguments", piece);
          out.add(chunk(id, true, model, i, delta, null, includeUsage));
        } else {
          out.add(chunk(id, true, model, i, delta.put("content", piece), null, includeUsage));
        }
      }
    }
    for (int i = 0; i < n; i++) {
      ObjectNode last = chat ? Json.object() : Json.object().put("text", "");
      out.add(chunk(id, chat, model, i, last, toolName != null && chat ? "tool_calls" : "stop", includeUsage));
    }
    if (includeUsage) {
      ObjectNode usageChunk = Json.object().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
          .put("created", System.currentTimeMillis() / 1000).put("model", model).put("system_fingerprint", "fp_fake");
      usageChunk.putArray("choices");
      usageChunk.set("usage", usage(request));
      out.add(usageChunk);
    }
    return out;
  }

  private static ObjectNode chunk(String id, boolean chat, String model, int index, ObjectNode delta, String finish,
      boolean includeUsage) {
    ObjectNode c = Json.object().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
        .put("created", System.currentTimeMillis() / 1000).put("model", model).put("system_fingerprint", "fp_fake");
    ObjectNode choice = c.putArray("choices").addObject().put("index", index);
    if (chat) {
      choice.set("delta", delta);
    } else {
      choice.setAll(delta);
    }
    choice.putNull("logprobs");
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    if (includeUsage) {
      c.putNull("usage"); // OpenAI sends "usage": null on every chunk but the last when asked for usage
    }
    return c;
  }

  private void stream(RoutingContext rc, List<ObjectNode> chunks) {
    HttpServerResponse response = rc.response();
    response.setChunked(true).putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("x-request-id", "req_fake" + ids.get());
    response.writeHead();
    Duration gap = chunkDelay;
    sendFrom(rc, chunks, 0, firstChunkDelay, gap,
        new Faults(breakAfter, endAfter < 0 ? -1 : Math.min(endAfter, chunks.size()), invalidChunkAfter, errorEventAfter));
  }

  /** The chunk indexes at which the stream breaks off, ends early, gets an invalid chunk or an error event (-1: never). */
  private record Faults(int breakAt, int endAt, int invalidAt, int errorAt) {}

  /** Writes chunks from {@code next} on: one per {@code gap}, or as fast as the reader takes them. */
  private void sendFrom(RoutingContext rc, List<ObjectNode> chunks, int next, Duration wait, Duration gap, Faults faults) {
    later(wait, rc, () -> {
      HttpServerResponse response = rc.response();
      for (int i = next; ; i++) {
        if (i == faults.breakAt()) {
          rc.request().connection().close();
          return;
        }
        if (i == faults.endAt()) {
          end(response, Buffer.buffer());
          return;
        }
        if (i == faults.errorAt()) {
          end(response, Buffer.buffer("data: {\"error\":{\"message\":\"The server had an error while processing your request.\","
              + "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"));
          return;
        }
        if (i == faults.invalidAt()) {
          response.write("data: {\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion.chu\n\n");
        }
        if (i == chunks.size()) {
          end(response, Buffer.buffer("data: [DONE]\n\n"));
          return;
        }
        response.write("data: " + chunks.get(i) + "\n\n");
        int following = i + 1;
        if (!gap.isZero()) {
          sendFrom(rc, chunks, following, gap, gap, faults);
          return;
        }
        if (response.writeQueueFull()) {
          // like a real server: a slow reader holds the writer back
          response.drainHandler(v -> sendFrom(rc, chunks, following, Duration.ZERO, gap, faults));
          return;
        }
      }
    });
  }

  /** Runs now, or after {@code wait} on the fake's event loop, unless the caller went away meanwhile. */
  private void later(Duration wait, RoutingContext rc, Runnable action) {
    if (wait.isZero()) {
      action.run();
    } else {
      upstream.vertx().setTimer(wait.toMillis(), id -> {
        if (!rc.response().closed() && !rc.response().ended()) {
          action.run();
        }
      });
    }
  }

  private void json(HttpServerResponse response, ObjectNode body) {
    response.putHeader("content-type", "application/json").putHeader("openai-processing-ms", "3")
        .putHeader("x-ratelimit-remaining-requests", "9999");
    end(response, Json.buffer(body));
  }

  private void end(HttpServerResponse response, Buffer last) {
    response.end(last);
    completed.incrementAndGet();
  }

  /** OpenAI's error body: {@code {"error":{"message","type","param","code"}}}. */
  private void error(HttpServerResponse response, int status, String message, String retryAfter) {
    ObjectNode body = Json.object();
    ObjectNode err = body.putObject("error").put("message", message)
        .put("type", status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error");
    err.putNull("param");
    if (status == 429) {
      err.put("code", "rate_limit_exceeded");
    } else if (status == 401) {
      err.put("code", "invalid_api_key");
    } else {
      err.putNull("code");
    }
    response.setStatusCode(status).putHeader("content-type", "application/json");
    if (retryAfter != null) {
      response.putHeader("retry-after", retryAfter);
    }
    end(response, Json.buffer(body));
  }

  /** Words with their following space, so the pieces concatenate back to the text. */
  static List<String> words(String text) {
    return java.util.Arrays.stream(text.split("(?<= )")).filter(w -> !w.isEmpty()).toList();
  }

  private static List<String> splitArguments(String args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.length(); i += 8) {
      out.add(args.substring(i, Math.min(args.length(), i + 8)));
    }
    return out;
  }

  /** JSON text as a tree (null when it is not JSON), for assertions on bodies. */
  public static JsonNode parse(String json) {
    return Json.tryParse(Buffer.buffer(json));
  }
}
