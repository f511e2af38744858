package dev.tollgate.limits;

import dev.tollgate.keys.Accounts;
import dev.tollgate.redis.SharedRedis;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Budgets and rate limits shared by every replica, in Redis, each check-and-take one atomic Lua
 * script: exact across replicas, not eventually consistent. Reservations and slots in flight are
 * members of sorted sets scored by their expiry, so a replica killed mid-call cannot hold budget
 * forever: its reservations lapse after {@link #HOLD_MS}.
 */
final class SharedLimits {
  static final long HOLD_MS = 15 * 60_000;
  private static final long EVAL_TIMEOUT_MS = 5_000;

  private static final String RESERVED_SUM = """
      local function reserved(k, now)
        redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
        local sum = 0
        for _, m in ipairs(redis.call('ZRANGE', k, 0, -1)) do
          sum = sum + tonumber(string.match(m, '|([^|]+)$'))
        end
        return sum
      end
      """;

  /** KEYS: per charge a spent key and a reservations key. ARGV: now, member, amount, then per charge max and seed. */
  private static final String RESERVE = RESERVED_SUM + """
      local now, member, amount = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
      local n = #KEYS / 2
      for i = 1, n do
        redis.call('SET', KEYS[2*i-1], ARGV[3 + 2*i], 'NX')
      end
      for i = 1, n do
        local max = tonumber(ARGV[2 + 2*i])
        if max >= 0 then
          local spent = tonumber(redis.call('GET', KEYS[2*i-1]))
          if spent >= max or spent + reserved(KEYS[2*i], now) + amount > max + 1e-12 then
            return {i, tostring(spent)}
          end
        end
      end
      for i = 1, n do
        redis.call('ZADD', KEYS[2*i], now + %d, member .. '|' .. ARGV[3])
      end
      return {0, ''}
      """.formatted(HOLD_MS);

  /** KEYS: as RESERVE. ARGV: member|amount, cost. Returns the first charge's new spend. */
  private static final String SETTLE = """
      local first = '0'
      for i = 1, #KEYS / 2 do
        redis.call('ZREM', KEYS[2*i], ARGV[1])
        local s = redis.call('INCRBYFLOAT', KEYS[2*i-1], ARGV[2])
        if i == 1 then first = s end
      end
      return first
      """;

  /** KEYS: per limit a requests key, a tokens key (this minute) and an in-flight key. ARGV: now, member, then rpm, tpm, parallel (-1 none). */
  private static final String ACQUIRE = """
      local now, member = tonumber(ARGV[1]), ARGV[2]
      local n = #KEYS / 3
      for i = 1, n do
        local rpm, tpm, par = tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1]), tonumber(ARGV[3*i+2])
        redis.call('ZREMRANGEBYSCORE', KEYS[3*i], '-inf', now)
        if par >= 0 and redis.call('ZCARD', KEYS[3*i]) >= par then return {i, 'max_parallel_requests=' .. par} end
        if rpm >= 0 and tonumber(redis.call('GET', KEYS[3*i-2]) or '0') >= rpm then return {i, 'rpm_limit=' .. rpm} end
        if tpm >= 0 and tonumber(redis.call('GET', KEYS[3*i-1]) or '0') >= tpm then return {i, 'tpm_limit=' .. tpm} end
      end
      for i = 1, n do
        redis.call('INCR', KEYS[3*i-2])
        redis.call('PEXPIRE', KEYS[3*i-2], 120000)
        redis.call('ZADD', KEYS[3*i], now + %d, member)
      end
      local rpm1, tpm1 = tonumber(ARGV[3]), tonumber(ARGV[4])
      local leftR, leftT = -1, -1
      if rpm1 >= 0 then leftR = math.max(0, rpm1 - tonumber(redis.call('GET', KEYS[1]))) end
      if tpm1 >= 0 then leftT = math.max(0, tpm1 - tonumber(redis.call('GET', KEYS[2]) or '0')) end
      return {0, '', leftR, leftT}
      """.formatted(HOLD_MS);

  /** KEYS: as ACQUIRE. ARGV: member, tokens, 1 to give the request back (a call refused before it was made). */
  private static final String RELEASE = """
      for i = 1, #KEYS / 3 do
        redis.call('ZREM', KEYS[3*i], ARGV[1])
        redis.call('INCRBY', KEYS[3*i-1], ARGV[2])
        redis.call('PEXPIRE', KEYS[3*i-1], 120000)
        if ARGV[3] == '1' and tonumber(redis.call('GET', KEYS[3*i-2]) or '0') > 0 then redis.call('DECR', KEYS[3*i-2]) end
      end
      return 1
      """;

  private final SharedRedis redis;

  SharedLimits(SharedRedis redis) {
    this.redis = redis;
  }

  boolean available() {
    return redis.available();
  }

  /** Index (1-based) of the charge that would be exceeded and its spend, or index 0 when reserved. */
  Future<Object[]> reserve(List<Accounts.Charge> charges, double[] seeds, String callId, double amount, long nowMs) {
    List<String> a = script(RESERVE, charges.size() * 2);
    for (Accounts.Charge c : charges) {
      a.add(spentKey(c));
      a.add(reservedKey(c));
    }
    a.addAll(List.of(Long.toString(nowMs), callId, Double.toString(amount)));
    for (int i = 0; i < charges.size(); i++) {
      a.add(Double.toString(charges.get(i).maxBudget()));
      a.add(Double.toString(seeds[i]));
    }
    return eval(a).map(SharedLimits::pair);
  }

  /** Settles a reservation; the future holds the first charge's spend afterwards. */
  Future<Double> settle(List<Accounts.Charge> charges, String callId, double reserved, double cost) {
    List<String> a = script(SETTLE, charges.size() * 2);
    for (Accounts.Charge c : charges) {
      a.add(spentKey(c));
      a.add(reservedKey(c));
    }
    a.add(callId + "|" + reserved);
    a.add(Double.toString(cost));
    return eval(a).map(res -> Double.parseDouble(res.toString()));
  }

  Future<Object[]> acquire(List<RateWindows.Limit> limits, String callId, long nowMs) {
    if (limits.isEmpty()) {
      return Future.succeededFuture(new Object[] {0, ""});
    }
    List<String> a = windowKeys(ACQUIRE, limits, nowMs);
    a.add(Long.toString(nowMs));
    a.add(callId);
    for (RateWindows.Limit l : limits) {
      a.add(Long.toString(l.rpm() == null ? -1 : l.rpm()));
      a.add(Long.toString(l.tpm() == null ? -1 : l.tpm()));
      a.add(Long.toString(l.parallel() == null ? -1 : l.parallel()));
    }
    return eval(a).map(SharedLimits::pair);
  }

  Future<Response> release(List<RateWindows.Limit> limits, String callId, long tokens, long nowMs) {
    return release(limits, callId, tokens, nowMs, false);
  }

  /** Gives back what {@link #acquire} took for a call refused before it was made (over budget): it does not count. */
  Future<Response> refund(List<RateWindows.Limit> limits, String callId, long nowMs) {
    return release(limits, callId, 0, nowMs, true);
  }

  private Future<Response> release(List<RateWindows.Limit> limits, String callId, long tokens, long nowMs, boolean refund) {
    if (limits.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> a = windowKeys(RELEASE, limits, nowMs);
    a.add(callId);
    a.add(Long.toString(tokens));
    a.add(refund ? "1" : "0");
    return eval(a);
  }

  private static List<String> windowKeys(String script, List<RateWindows.Limit> limits, long nowMs) {
    List<String> a = script(script, limits.size() * 3);
    long minute = nowMs / 60_000;
    for (RateWindows.Limit l : limits) {
      a.add("tg:rpm:" + l.subject() + ":" + minute);
      a.add("tg:tpm:" + l.subject() + ":" + minute);
      a.add("tg:inflight:" + l.subject());
    }
    return a;
  }

  private static List<String> script(String script, int keys) {
    List<String> a = new ArrayList<>();
    a.add(script);
    a.add(Integer.toString(keys));
    return a;
  }

  /**
   * Runs a script through the pool, past the circuit breaker's 500 ms command timeout: a Redis
   * that is slow under a burst is still the one truth for budgets; only one that does not answer
   * at all (or is known down) makes the call fall back to this replica's own state.
   */
  private Future<Response> eval(List<String> args) {
    Future<Response> f = redis.api().send(Command.EVAL, args.toArray(String[]::new)).timeout(EVAL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Context caller = Vertx.currentContext();
    if (caller == null) {
      return f;
    }
    // back on the call's own event loop: a ProxyCall is confined to one
    Promise<Response> p = Promise.promise();
    f.onComplete(ar -> caller.runOnContext(v -> p.handle(ar)));
    return p.future();
  }

  /** {index of the refusing limit or 0, what was refused, and for acquire: requests and tokens left of the first limit}. */
  private static Object[] pair(Response res) {
    if (res.size() == 4) {
      return new Object[] {res.get(0).toInteger(), res.get(1).toString(), new long[] {res.get(2).toLong(), res.get(3).toLong()}};
    }
    return new Object[] {res.get(0).toInteger(), res.get(1).toString()};
  }

  private static String spentKey(Accounts.Charge c) {
    return "tg:spent:" + c.kind() + ":" + c.id();
  }

  private static String reservedKey(Accounts.Charge c) {
    return "tg:reserved:" + c.kind() + ":" + c.id();
  }
}
