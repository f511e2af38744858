package dev.tollgate.keys;

import static dev.tollgate.keys.KeysTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.CalendarMinute;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.PacedSse;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Streamed calls whose usage never arrives are billed on an estimate (prompt from the request,
 * completion from what reached the client), as LiteLLM does; usage the upstream sends always wins.
 */
class StreamedSpendTest {
  /** 40 words of 6 characters: 240 characters of answer, about 60 tokens. */
  static final int WORDS = 40;
  static final String WORD = "hello ";
  /** A prompt of 400 characters: about 100 tokens. */
  static final String PROMPT = "x".repeat(400);
  static final String STREAM = "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";

  FakeUpstream upstream;
  /** Set when the gateway gave up the slow upstream stream (the client left). */
  final AtomicBoolean slowStreamClosed = new AtomicBoolean();

  @BeforeEach
  void upstream() {
    upstream = FakeUpstream.start()
        // an OpenAI-compatible server that takes stream_options.include_usage but never sends usage
        .onPost("/v1/nousage/chat/completions", rc -> PacedSse.write(rc, "text/event-stream", frames(WORDS, false), 0, PacedSse.ALWAYS))
        // a slow one: a chunk every 50 ms, usage last (if anyone is still there)
        .onPost("/v1/slow/chat/completions", rc -> {
          rc.response().closeHandler(v -> slowStreamClosed.set(true));
          PacedSse.write(rc, "text/event-stream", frames(WORDS, true), 50, PacedSse.ALWAYS);
        })
        // one that sends its usage, then holds [DONE] back until the client has left
        .onPost("/v1/lingering/chat/completions", rc -> {
          List<String> frames = frames(3, true);
          rc.response().closeHandler(v -> slowStreamClosed.set(true));
          PacedSse.write(rc, "text/event-stream", frames, 0, i -> i < frames.size() - 1 || slowStreamClosed.get());
        })
        // one that breaks off: a few content chunks, then the connection closes (no finish, no [DONE])
        .onPost("/v1/cut/chat/completions", rc -> {
          rc.response().setChunked(true).putHeader("content-type", "text/event-stream");
          frames(3, false).subList(0, 4).forEach(f -> rc.response().write(f));
          rc.vertx().setTimer(50, t -> rc.request().connection().close());
        })
        // one that sends its usage: 10 prompt and 10 completion tokens
        .onPost("/v1/usage/chat/completions", rc -> PacedSse.write(rc, "text/event-stream", frames(WORDS, true), 0, PacedSse.ALWAYS));
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  /** A role chunk, {@code words} content chunks, a finish chunk, the usage chunk if asked, [DONE]. */
  static List<String> frames(int words, boolean usage) {
    String head = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",";
    List<String> frames = new ArrayList<>();
    frames.add(head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
    for (int i = 0; i < words; i++) {
      frames.add(head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + WORD + "\"},\"finish_reason\":null}]}");
    }
    frames.add(head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
    if (usage) {
      frames.add(head + "\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":10,\"total_tokens\":20}}");
    }
    frames.add("[DONE]");
    return frames.stream().map(f -> "data: " + f + "\n\n").toList();
  }

  TestGateway start(TestDatabase db) {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("TOLLGATE_CACHE_REFRESH_SECONDS", "0.3");
    StringBuilder yaml = new StringBuilder("model_list:\n");
    for (String name : new String[] {"nousage", "slow", "lingering", "usage", "cut"}) {
      yaml.append("""
            - model_name: %s
              litellm_params: {model: openai/m, api_base: %s/v1/%s, api_key: up}
              model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.002}
          """.formatted(name, upstream.url(), name));
    }
    yaml.append("general_settings:\n  proxy_batch_write_at: 0.2\n");
    return TestGateway.start(yaml.toString(), env);
  }

  /** The one spend row: status, spend, prompt and completion tokens. */
  record Row(String status, double spend, long prompt, long completion) {}

  static Row awaitRow(TestDatabase db) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < 1 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    try (var c = db.connect(); var s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT status, spend, prompt_tokens, completion_tokens FROM tg_spend_log")) {
      assertThat(rs.next()).as("a spend row").isTrue();
      Row row = new Row(rs.getString(1), rs.getDouble(2), rs.getLong(3), rs.getLong(4));
      assertThat(rs.next()).as("one spend row").isFalse();
      return row;
    }
  }

  @Test
  void aStreamThatEndsWithoutUsageIsBilledOnAnEstimate() throws Exception {
    try (TestDatabase db = TestDatabase.create(Backend.SQLITE); TestGateway gw = start(db)) {
      String key = KeysTest.generate(gw, "{}");
      var r = gw.post("/v1/chat/completions", STREAM.formatted("nousage"), key);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("[DONE]").doesNotContain("\"usage\":{");

      Row row = awaitRow(db);
      assertThat(row.status()).isEqualTo("success");
      // the prompt: 400 characters (100 tokens) plus the message's framing; the answer: 240 characters
      assertThat(row.prompt()).isBetween(100L, 115L);
      assertThat(row.completion()).isEqualTo(WORDS * WORD.length() / 4);
      assertThat(row.spend()).isCloseTo(row.prompt() * 0.001 + row.completion() * 0.002, Offset.offset(1e-9));
      assertThat(json(gw.get("/key/info?key=" + key)).at("/info/spend").asDouble()).isCloseTo(row.spend(), Offset.offset(1e-9));
      assertThat(json(gw.get("/spend/logs?api_key=" + key)).get(0).at("/metadata/usage_estimated").asBoolean())
          .as("the row says its usage is an estimate").isTrue();
    }
  }

  @Test
  void aStreamTheUpstreamCutsIsAFailureBilledForWhatWasRelayed() throws Exception {
    try (TestDatabase db = TestDatabase.create(Backend.SQLITE); TestGateway gw = start(db)) {
      String key = KeysTest.generate(gw, "{}");
      var r = gw.post("/v1/chat/completions", STREAM.formatted("cut"), key);
      assertThat(r.body()).contains(WORD).contains("\"error\"");
      Row row = awaitRow(db);
      assertThat(row.status()).as("the client got an error event, not an answer").isEqualTo("failure");
      assertThat(row.completion()).isEqualTo(dev.tollgate.provider.TokenEstimate.ofCharacters(3L * WORD.length()));
    }
  }

  @Test
  void aClientThatLeavesMidStreamIsChargedForWhatItGotAndItsTokensCount() throws Exception {
    try (TestDatabase db = TestDatabase.create(Backend.SQLITE); TestGateway gw = start(db)) {
      String key = KeysTest.generate(gw, "{\"tpm_limit\":100000}");
      CalendarMinute.awaitRoomFor(15);
      int received = readEventsThenHangUp(gw, key, STREAM.formatted("slow"), 6);
      long deadline = System.currentTimeMillis() + 5_000;
      while (!slowStreamClosed.get() && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertThat(slowStreamClosed).as("the client's leaving cancelled the upstream request").isTrue();

      Row row = awaitRow(db);
      assertThat(row.status()).as("a call the client abandoned").isEqualTo("failure");
      assertThat(row.prompt()).isBetween(100L, 115L);
      // the client read 6 events (role + 5 words) before leaving; a few more may have been relayed meanwhile
      assertThat(row.completion()).isGreaterThanOrEqualTo((received - 1) * WORD.length() / 4).isLessThan(WORDS * WORD.length() / 4);
      assertThat(row.spend()).isCloseTo(row.prompt() * 0.001 + row.completion() * 0.002, Offset.offset(1e-9)).isPositive();
      assertThat(json(gw.get("/key/info?key=" + key)).at("/info/spend").asDouble()).isCloseTo(row.spend(), Offset.offset(1e-9));

      // its tokens went to the key's tpm window: the next call sees them used
      var next = gw.post("/v1/chat/completions", STREAM.formatted("usage"), key);
      assertThat(next.statusCode()).isEqualTo(200);
      assertThat(next.headers().firstValue("x-ratelimit-remaining-tokens"))
          .hasValue(Long.toString(100000 - row.prompt() - row.completion()));
    }
  }

  @Test
  void usageTheUpstreamSendsIsBilledExactly() throws Exception {
    try (TestDatabase db = TestDatabase.create(Backend.SQLITE); TestGateway gw = start(db)) {
      String key = KeysTest.generate(gw, "{}");
      var r = gw.post("/v1/chat/completions", STREAM.formatted("usage"), key);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

      Row row = awaitRow(db);
      assertThat(row).isEqualTo(new Row("success", 10 * 0.001 + 10 * 0.002, 10, 10));
      assertThat(json(gw.get("/spend/logs?api_key=" + key)).get(0).at("/metadata/usage_estimated").isMissingNode()).isTrue();
      assertThat(json(gw.get("/key/info?key=" + key)).at("/info/spend").asDouble()).isCloseTo(0.03, Offset.offset(1e-9));
    }
  }

  @Test
  void usageThatArrivedWinsWhenTheClientLeavesBeforeTheEnd() throws Exception {
    try (TestDatabase db = TestDatabase.create(Backend.SQLITE); TestGateway gw = start(db)) {
      String key = KeysTest.generate(gw, "{}");
      String withUsage = STREAM.formatted("lingering").replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}");
      readThenHangUp(gw, key, withUsage, seen -> seen.contains("\"usage\":{"));

      Row row = awaitRow(db);
      assertThat(row).as("the upstream's usage, no estimate; a call the client abandoned")
          .isEqualTo(new Row("failure", 10 * 0.001 + 10 * 0.002, 10, 10));
    }
  }

  /** Posts a streamed chat over a raw socket, reads {@code events} SSE events and closes the connection; returns how many it read. */
  static int readEventsThenHangUp(TestGateway gw, String key, String body, int events) throws Exception {
    return countEvents(readThenHangUp(gw, key, body, seen -> countEvents(seen) >= events));
  }

  static int countEvents(String sse) {
    return sse.split("data: ", -1).length - 1;
  }

  /** Posts a streamed chat over a raw socket, reads until {@code enough} says so and closes the connection; returns what it read. */
  static String readThenHangUp(TestGateway gw, String key, String body, java.util.function.Predicate<String> enough) throws Exception {
    byte[] payload = body.getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", gw.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
          + "\r\nContent-Type: application/json\r\nContent-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(payload);
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder seen = new StringBuilder();
      byte[] buf = new byte[4096];
      while (!enough.test(seen.toString())) {
        int n = in.read(buf);
        if (n < 0) {
          throw new AssertionError("the gateway ended the stream early: " + seen);
        }
        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      }
      assertThat(seen.toString()).startsWith("HTTP/1.1 200").doesNotContain("[DONE]");
      return seen.toString();
    }
  }
}
