package dev.tollgate.router;

import dev.tollgate.redis.SharedRedis;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the router knows about each deployment (a slot): cooldowns, failures this minute, requests
 * in flight, requests and tokens this minute, recent latencies.
 *
 * <p>With Redis, cooldowns, usage and latencies are shared by every replica without putting Redis
 * on the request path: writes are sent after a call (fire and forget), and a periodic refresh
 * reads everything back in one pipelined round trip into a local snapshot that the router reads.
 * Redis down: the snapshot goes stale and local counts take over (SharedRedis logs it once).
 */
public final class RouterState implements AutoCloseable {
  static final long REFRESH_MS = 250;
  private static final String PREFIX = "tollgate:router:";
  private static final int LATENCY_SAMPLES = 10;

  private final String[] ids;
  private final RouterSettings settings;
  private final AtomicLongArray cooldownUntil;
  // one counter object per slot, shared with a grown state, so a request started before a swap
  // and finished after it counts down the counter it counted up
  private final AtomicInteger[] inFlight;
  private final AtomicIntegerArray fails;
  private final AtomicLongArray failMinute;
  private final AtomicLongArray usageMinute;
  private final AtomicLongArray localRpm;
  private final AtomicLongArray localTpm;
  private final long[][] latencies; // per slot: [at, ms] pairs in a ring, guarded by the row
  private final int[] latencyNext;
  // the local average, recomputed when a sample arrives or when it is older than a refresh period
  private final AtomicLongArray latencyAverage;
  private final AtomicLongArray latencyAverageAt;

  // The last snapshot from Redis (written by the refresh, read by any event loop).
  private volatile Snapshot snapshot;
  private SharedRedis redis;
  private Vertx vertx;
  private long timer = -1;

  private record Snapshot(long minute, long takenAt, long[] rpm, long[] tpm, long[] localRpmAt, long[] localTpmAt,
      double[] latencyMs) {}

  RouterState(List<String> ids, RouterSettings settings) {
    this.ids = ids.toArray(String[]::new);
    this.settings = settings;
    int n = this.ids.length;
    cooldownUntil = new AtomicLongArray(n);
    inFlight = new AtomicInteger[n];
    for (int i = 0; i < n; i++) {
      inFlight[i] = new AtomicInteger();
    }
    fails = new AtomicIntegerArray(n);
    failMinute = new AtomicLongArray(n);
    usageMinute = new AtomicLongArray(n);
    localRpm = new AtomicLongArray(n);
    localTpm = new AtomicLongArray(n);
    latencies = new long[n][LATENCY_SAMPLES * 2];
    latencyNext = new int[n];
    latencyAverage = new AtomicLongArray(n);
    latencyAverageAt = new AtomicLongArray(n);
  }

  int size() {
    return ids.length;
  }

  /**
   * The state of a router that gained deployments: {@code ids} extend this state's ids, whose
   * cooldowns, failures, usage and latencies carry over (an update landing on this state while
   * it is copied may be lost; in-flight counters are shared, so they stay exact).
   */
  RouterState grown(List<String> ids) {
    RouterState g = new RouterState(ids, settings);
    int n = this.ids.length;
    for (int i = 0; i < n; i++) {
      g.cooldownUntil.set(i, cooldownUntil.get(i));
      g.inFlight[i] = inFlight[i];
      g.fails.set(i, fails.get(i));
      g.failMinute.set(i, failMinute.get(i));
      g.usageMinute.set(i, usageMinute.get(i));
      g.localRpm.set(i, localRpm.get(i));
      g.localTpm.set(i, localTpm.get(i));
      synchronized (latencies[i]) {
        System.arraycopy(latencies[i], 0, g.latencies[i], 0, latencies[i].length);
        g.latencyNext[i] = latencyNext[i];
      }
      g.latencyAverage.set(i, latencyAverage.get(i));
      g.latencyAverageAt.set(i, latencyAverageAt.get(i));
    }
    return g;
  }

  /** Shares state through Redis from now on (refreshing the snapshot every {@value #REFRESH_MS} ms). */
  void share(Vertx vertx, SharedRedis redis) {
    this.vertx = vertx;
    this.redis = redis;
    refresh();
    timer = vertx.setPeriodic(REFRESH_MS, id -> refresh());
  }

  boolean shared() {
    return redis != null;
  }

  // ---- cooldowns ----

  long cooldownUntil(int slot) {
    return cooldownUntil.get(slot);
  }

  boolean cooling(int slot, long now) {
    return cooldownUntil.get(slot) > now;
  }

  void coolDown(int slot, long now) {
    long until = now + settings.cooldownTime().toMillis();
    cooldownUntil.accumulateAndGet(slot, until, Math::max);
    if (redis != null) {
      redis.send(Request.cmd(Command.SET).arg(PREFIX + "cd:" + ids[slot]).arg(until).arg("PX")
          .arg(Math.max(1, settings.cooldownTime().toMillis())));
    }
  }

  /** Counts a failure this minute; true when the deployment has now failed more than allowed_fails. */
  boolean countFailure(int slot, long now) {
    long minute = now / 60_000;
    if (failMinute.getAndSet(slot, minute) != minute) {
      fails.set(slot, 0);
    }
    return fails.incrementAndGet(slot) > settings.allowedFails();
  }

  // ---- in flight ----

  int inFlight(int slot) {
    return inFlight[slot].get();
  }

  void started(int slot) {
    inFlight[slot].incrementAndGet();
  }

  // ---- usage and latency, recorded once an attempt is over ----

  /** An attempt ended: one request and its tokens this minute, and its latency when it succeeded. */
  void finished(int slot, long tokens, long latencyMs) {
    inFlight[slot].decrementAndGet();
    long now = System.currentTimeMillis();
    long minute = now / 60_000;
    if (usageMinute.getAndSet(slot, minute) != minute) {
      localRpm.set(slot, 0);
      localTpm.set(slot, 0);
    }
    localRpm.incrementAndGet(slot);
    localTpm.addAndGet(slot, tokens);
    if (latencyMs >= 0) {
      synchronized (latencies[slot]) {
        int i = latencyNext[slot];
        latencies[slot][i * 2] = now;
        latencies[slot][i * 2 + 1] = latencyMs;
        latencyNext[slot] = (i + 1) % LATENCY_SAMPLES;
      }
      latencyAverage.set(slot, Double.doubleToRawLongBits(localLatency(slot, now)));
      latencyAverageAt.set(slot, now);
    }
    if (redis != null) {
      String id = ids[slot];
      List<Request> writes = new ArrayList<>(7);
      writes.add(Request.cmd(Command.INCR).arg(usageKey("rpm", id, minute)));
      writes.add(Request.cmd(Command.EXPIRE).arg(usageKey("rpm", id, minute)).arg(120));
      if (tokens > 0) {
        writes.add(Request.cmd(Command.INCRBY).arg(usageKey("tpm", id, minute)).arg(tokens));
        writes.add(Request.cmd(Command.EXPIRE).arg(usageKey("tpm", id, minute)).arg(120));
      }
      if (latencyMs >= 0) {
        writes.add(Request.cmd(Command.LPUSH).arg(PREFIX + "lat:" + id).arg(now + ":" + latencyMs));
        writes.add(Request.cmd(Command.LTRIM).arg(PREFIX + "lat:" + id).arg(0).arg(LATENCY_SAMPLES - 1));
        writes.add(Request.cmd(Command.PEXPIRE).arg(PREFIX + "lat:" + id).arg(settings.latencyTtl().toMillis()));
      }
      redis.batch(writes);
    }
  }

  long rpm(int slot, long now) {
    return usage(slot, localRpm, true, now);
  }

  long tpm(int slot, long now) {
    return usage(slot, localTpm, false, now);
  }

  /** Usage this minute: every replica's (the snapshot plus what this one did since) or, without Redis, this one's. */
  private long usage(int slot, AtomicLongArray local, boolean requests, long now) {
    long minute = now / 60_000;
    long mine = usageMinute.get(slot) == minute ? local.get(slot) : 0;
    Snapshot s = snapshot;
    if (s == null || s.minute != minute || now - s.takenAt > 4 * REFRESH_MS) {
      return mine;
    }
    long[] shared = requests ? s.rpm : s.tpm;
    long[] mineAtSnapshot = requests ? s.localRpmAt : s.localTpmAt;
    return shared[slot] + Math.max(0, mine - mineAtSnapshot[slot]);
  }

  /** Average latency within routing_strategy_args.ttl; 0 for a deployment never measured (so it gets tried). */
  double latencyMillis(int slot, long now) {
    Snapshot s = snapshot;
    if (s != null && now - s.takenAt <= 4 * REFRESH_MS && !Double.isNaN(s.latencyMs[slot])) {
      return s.latencyMs[slot];
    }
    if (latencyAverageAt.get(slot) == 0) {
      return 0; // never measured: gets tried
    }
    if (now - latencyAverageAt.get(slot) <= REFRESH_MS) {
      return Double.longBitsToDouble(latencyAverage.get(slot));
    }
    double average = localLatency(slot, now);
    latencyAverage.set(slot, Double.doubleToRawLongBits(average));
    latencyAverageAt.set(slot, now);
    return average;
  }

  private double localLatency(int slot, long now) {
    long oldest = now - settings.latencyTtl().toMillis();
    long sum = 0;
    int count = 0;
    synchronized (latencies[slot]) {
      for (int i = 0; i < LATENCY_SAMPLES; i++) {
        long at = latencies[slot][i * 2];
        if (at > 0 && at >= oldest) {
          sum += latencies[slot][i * 2 + 1];
          count++;
        }
      }
    }
    return count == 0 ? 0 : (double) sum / count;
  }

  // ---- the Redis snapshot ----

  private void refresh() {
    long now = System.currentTimeMillis();
    long minute = now / 60_000;
    int n = ids.length;
    long[] rpmAt = new long[n];
    long[] tpmAt = new long[n];
    for (int i = 0; i < n; i++) {
      boolean current = usageMinute.get(i) == minute;
      rpmAt[i] = current ? localRpm.get(i) : 0;
      tpmAt[i] = current ? localTpm.get(i) : 0;
    }
    Request cooldowns = Request.cmd(Command.MGET);
    Request rpm = Request.cmd(Command.MGET);
    Request tpm = Request.cmd(Command.MGET);
    List<Request> batch = new ArrayList<>(3 + n);
    batch.add(cooldowns);
    batch.add(rpm);
    batch.add(tpm);
    for (String id : ids) {
      cooldowns.arg(PREFIX + "cd:" + id);
      rpm.arg(usageKey("rpm", id, minute));
      tpm.arg(usageKey("tpm", id, minute));
      batch.add(Request.cmd(Command.LRANGE).arg(PREFIX + "lat:" + id).arg(0).arg(-1));
    }
    redis.batch(batch).onSuccess(replies -> {
      double[] latency = new double[n];
      long[] rpmNow = new long[n];
      long[] tpmNow = new long[n];
      long oldest = System.currentTimeMillis() - settings.latencyTtl().toMillis();
      for (int i = 0; i < n; i++) {
        Response cd = replies.get(0).get(i);
        if (cd != null) {
          cooldownUntil.accumulateAndGet(i, cd.toLong(), Math::max);
        }
        rpmNow[i] = number(replies.get(1).get(i));
        tpmNow[i] = number(replies.get(2).get(i));
        latency[i] = averageLatency(replies.get(3 + i), oldest);
      }
      snapshot = new Snapshot(minute, now, rpmNow, tpmNow, rpmAt, tpmAt, latency);
    });
  }

  private static double averageLatency(Response samples, long oldest) {
    if (samples == null || samples.size() == 0) {
      return Double.NaN;
    }
    long sum = 0;
    int count = 0;
    for (Response r : samples) {
      String v = r.toString();
      int colon = v.indexOf(':');
      if (colon > 0 && Long.parseLong(v.substring(0, colon)) >= oldest) {
        sum += Long.parseLong(v.substring(colon + 1));
        count++;
      }
    }
    return count == 0 ? Double.NaN : (double) sum / count;
  }

  private static long number(Response r) {
    return r == null ? 0 : r.toLong();
  }

  private static String usageKey(String what, String id, long minute) {
    return PREFIX + what + ":" + id + ":" + minute;
  }

  @Override
  public void close() {
    if (vertx != null && timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
