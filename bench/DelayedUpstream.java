import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A fake LLM that thinks: answers every POST after {@code delay_ms} with the canned SSE stream,
 * one event per write (a chunk on the wire each), as a model streaming tokens would. nginx cannot
 * wait before answering, so the benchmark's slow-upstream scenario uses this.
 *
 * <p>{@code java -cp target/tollgate.jar bench/DelayedUpstream.java PORT DELAY_MS SSE_FILE}
 */
public final class DelayedUpstream {
  public static void main(String[] argv) throws Exception {
    int port = Integer.parseInt(argv[0]);
    long delayMs = Long.parseLong(argv[1]);
    List<Buffer> events = new ArrayList<>();
    for (String event : Files.readString(Path.of(argv[2]), StandardCharsets.UTF_8).split("\n\n")) {
      if (!event.isBlank()) {
        events.add(Buffer.buffer(event.strip() + "\n\n"));
      }
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true).setIdleTimeout(0))
        .requestHandler(req -> req.body().onSuccess(ignored -> vertx.setTimer(delayMs, id -> {
          HttpServerResponse resp = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
          for (Buffer event : events) {
            resp.write(event);
          }
          resp.end();
        })))
        .listen(port, "127.0.0.1")
        .await();
    System.out.println("delayed upstream ready on " + port);
  }
}
