import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's own load generator, for what wrk cannot measure. Runs on the Vert.x classes
 * inside tollgate.jar: {@code java -cp target/tollgate.jar bench/OpenLoop.java mode=... key=value ...}
 *
 * <ul>
 *   <li>{@code mode=rate}: open loop. Request i is due at {@code start + i/rate}, whether or not
 *       earlier ones have answered, and its latency counts from that due time — so a server that
 *       falls behind shows up as queueing in the percentiles, which a closed loop like wrk hides.
 *   <li>{@code mode=streams}: closed loop of {@code connections} concurrent streaming requests;
 *       per stream the time to first byte, the whole duration, the longest silence between two
 *       reads (a stall when over {@code stall_ms}), and whether it ended with {@code data: [DONE]}.
 * </ul>
 *
 * Prints one line {@code RESULT key=value ...} (times in microseconds) for bench/run.sh. A pause
 * of this generator's own JVM would count as the server's latency, so bench/run.sh gives it a
 * young generation that the measured seconds cannot fill, and the line ends with the generator's
 * own collections while it measured ({@code gen_gc=N gen_gc_ms=T}): both should be 0.
 */
public final class OpenLoop {
  private final Map<String, String> args;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
  private final HttpClient client;
  private final RequestOptions request;
  private final Buffer body;

  private OpenLoop(Map<String, String> args) throws Exception {
    this.args = args;
    int maxConnections = Integer.parseInt(args.getOrDefault("max_connections", "1024"));
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
            .setKeepAliveTimeout(0).setIdleTimeout(30),
        new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(-1));
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
    String auth = args.get("bearer");
    if (auth != null) {
      headers.add("authorization", "Bearer " + auth);
    }
    request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(args.get("url")).setHeaders(headers)
        .setIdleTimeout(Long.parseLong(args.getOrDefault("timeout_ms", "10000")));
    body = Buffer.buffer(Files.readAllBytes(Path.of(args.get("body"))));
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are key=value, got " + a);
      }
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    OpenLoop load = new OpenLoop(args);
    try {
      String result = switch (args.getOrDefault("mode", "rate")) {
        case "rate" -> load.rate();
        case "streams" -> load.streams();
        default -> throw new IllegalArgumentException("mode is rate or streams");
      };
      System.out.println("RESULT " + result);
    } finally {
      load.vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- open loop at a fixed rate

  private String rate() throws InterruptedException {
    double rate = Double.parseDouble(args.getOrDefault("rate", "2000"));
    double warmup = Double.parseDouble(args.getOrDefault("warmup", "2"));
    double seconds = Double.parseDouble(args.getOrDefault("seconds", "10"));
    schedule(rate, (int) (rate * warmup), null);
    long[] latencies = new long[(int) (rate * seconds)];
    System.gc(); // the warm-up's garbage, collected before the clock starts
    long[] gcBefore = gcPauses();
    long t0 = System.nanoTime();
    long errors = schedule(rate, latencies.length, latencies);
    double elapsed = (System.nanoTime() - t0) / 1e9;
    long[] ok = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
    return String.format(Locale.ROOT, "requests=%d errors=%d target_rps=%.0f rps=%.1f %s %s",
        latencies.length, errors, rate, ok.length / elapsed, percentiles("", ok), gcSince(gcBefore));
  }

  /**
   * Sends {@code count} requests on a fixed schedule and waits for every answer. The event loop
   * sends them itself, woken by Netty's nanosecond timer: handing each request over from another
   * thread put a thread wake-up on the same core in front of some requests, a tail that showed up
   * even straight to nginx. Latency of request i runs from its due time to the end of its response
   * body, so a late send counts against the server too; -1 marks a failure.
   */
  private long schedule(double rate, int count, long[] latencies) throws InterruptedException {
    ContextInternal ctx = (ContextInternal) vertx.getOrCreateContext();
    CountDownLatch done = new CountDownLatch(count);
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime() + 1_000_000;
    double interval = 1e9 / rate;
    Runnable sendDue = new Runnable() {
      int next;

      @Override
      public void run() {
        long now = System.nanoTime();
        for (; next < count && dueTime(next) <= now; next++) {
          send(next, dueTime(next));
        }
        if (next < count) {
          ctx.nettyEventLoop().schedule(() -> ctx.dispatch(this), dueTime(next) - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
      }

      private long dueTime(int i) {
        return start + (long) (i * interval);
      }

      private void send(int index, long due) {
        client.request(request)
            .compose(req -> req.send(body))
            .compose(resp -> resp.body().map(b -> resp.statusCode()))
            .onComplete(ar -> {
              long latency = System.nanoTime() - due;
              boolean ok = ar.succeeded() && ar.result() == 200;
              if (!ok) {
                errors.incrementAndGet();
              }
              if (latencies != null) {
                latencies[index] = ok ? latency : -1;
              }
              done.countDown();
            });
      }
    };
    ctx.runOnContext(v -> sendDue.run());
    if (!done.await((long) (count / rate) + 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(done.getCount() + " requests never finished");
    }
    return errors.get();
  }

  // ---------------------------------------------------------------- concurrent streams

  private String streams() throws InterruptedException {
    int connections = Integer.parseInt(args.getOrDefault("connections", "512"));
    double warmup = Double.parseDouble(args.getOrDefault("warmup", "1"));
    double seconds = Double.parseDouble(args.getOrDefault("seconds", "10"));
    long stallNanos = Long.parseLong(args.getOrDefault("stall_ms", "1000")) * 1_000_000;
    long now = System.nanoTime();
    Streams s = new Streams(now + (long) (warmup * 1e9), now + (long) ((warmup + seconds) * 1e9), stallNanos,
        new CountDownLatch(connections));
    Context ctx = vertx.getOrCreateContext();
    ctx.runOnContext(v -> {
      for (int c = 0; c < connections; c++) {
        s.next();
      }
    });
    Thread.sleep((long) (warmup * 1000));
    long[] gcBefore = gcPauses(); // from about when recording starts
    if (!s.finished.await((long) seconds + 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("streams never finished");
    }
    String gc = gcSince(gcBefore);
    long[] total = Arrays.copyOf(s.total, s.count);
    long[] ttfb = Arrays.copyOf(s.ttfb, s.count);
    Arrays.sort(total);
    Arrays.sort(ttfb);
    return String.format(Locale.ROOT, "streams=%d rps=%.1f errors=%d incomplete=%d stalled=%d max_gap_us=%d %s %s %s",
        s.count, s.count / seconds, s.errors, s.incomplete, s.stalled, s.maxGap / 1000,
        percentiles("", total), percentiles("ttfb_", ttfb), gc);
  }

  /** Collections of this JVM so far and their total time in ms. */
  private static long[] gcPauses() {
    long count = 0;
    long ms = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      ms += Math.max(0, gc.getCollectionTime());
    }
    return new long[] {count, ms};
  }

  private static String gcSince(long[] before) {
    long[] now = gcPauses();
    return "gen_gc=" + (now[0] - before[0]) + " gen_gc_ms=" + (now[1] - before[1]);
  }

  /** State of the closed loop; touched only on the one event loop. */
  private final class Streams {
    final long recordFrom;
    final long stopAt;
    final long stallNanos;
    final CountDownLatch finished;
    long[] total = new long[1 << 16];
    long[] ttfb = new long[1 << 16];
    int count;
    long errors;
    long incomplete;
    long stalled;
    long maxGap;

    Streams(long recordFrom, long stopAt, long stallNanos, CountDownLatch finished) {
      this.recordFrom = recordFrom;
      this.stopAt = stopAt;
      this.stallNanos = stallNanos;
      this.finished = finished;
    }

    void next() {
      long start = System.nanoTime();
      if (start >= stopAt) {
        finished.countDown();
        return;
      }
      boolean recorded = start >= recordFrom;
      client.request(request).compose(req -> req.send(body)).onComplete(ar -> {
        if (ar.failed() || ar.result().statusCode() != 200) {
          if (recorded) {
            errors++;
          }
          if (ar.succeeded()) {
            ar.result().body().onComplete(x -> next());
          } else {
            vertx.setTimer(10, id -> next());
          }
          return;
        }
        read(ar.result(), start, recorded);
      });
    }

    private void read(HttpClientResponse response, long start, boolean recorded) {
      long[] first = {0};
      long[] last = {System.nanoTime()};
      long[] gap = {last[0] - start};
      byte[] tail = new byte[64]; // the stream's last bytes, right-aligned: a String per read made the generator collect
      response.handler(bytes -> {
        long t = System.nanoTime();
        if (first[0] == 0) {
          first[0] = t;
        }
        gap[0] = Math.max(gap[0], t - last[0]);
        last[0] = t;
        int n = Math.min(bytes.length(), tail.length);
        System.arraycopy(tail, n, tail, 0, tail.length - n);
        bytes.getBytes(bytes.length() - n, bytes.length(), tail, tail.length - n);
      });
      response.exceptionHandler(e -> {
        if (recorded) {
          incomplete++;
        }
      });
      response.endHandler(v -> {
        long end = System.nanoTime();
        if (recorded) {
          maxGap = Math.max(maxGap, gap[0]);
          if (gap[0] > stallNanos) {
            stalled++;
          }
          if (first[0] == 0 || !new String(tail, StandardCharsets.ISO_8859_1).contains("data: [DONE]")) {
            incomplete++;
          } else {
            add(end - start, first[0] - start);
          }
        }
        next();
      });
    }

    private void add(long totalNanos, long ttfbNanos) {
      if (count == total.length) {
        total = Arrays.copyOf(total, count * 2);
        ttfb = Arrays.copyOf(ttfb, count * 2);
      }
      total[count] = totalNanos;
      ttfb[count] = ttfbNanos;
      count++;
    }
  }

  /** p50, p90, p99, p99.9 and max in microseconds, from sorted nanoseconds. */
  private static String percentiles(String prefix, long[] sorted) {
    if (sorted.length == 0) {
      return prefix + "p50_us=NaN " + prefix + "p99_us=NaN";
    }
    StringBuilder sb = new StringBuilder();
    double[] ps = {50, 90, 99, 99.9};
    String[] names = {"p50", "p90", "p99", "p999"};
    for (int k = 0; k < ps.length; k++) {
      int i = (int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(ps[k] / 100 * sorted.length) - 1));
      sb.append(prefix).append(names[k]).append("_us=").append(sorted[i] / 1000).append(' ');
    }
    sb.append(prefix).append("max_us=").append(sorted[sorted.length - 1] / 1000);
    return sb.toString();
  }
}
