package dev.tollgate.redis;

import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis every replica shares (cooldowns, usage counters, cache, limits, budgets), behind a
 * circuit breaker: while Redis is down, commands fail at once (callers fall back to local state)
 * instead of each request waiting for a timeout; one probe after a back-off closes it again.
 * Logs once when Redis goes away and once when it is back.
 */
public final class SharedRedis implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedRedis.class);
  // long enough that a busy Redis (or a busy host) is not taken for a dead one: while the breaker is
  // open, limits and budgets fall back to each replica's own state
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
  private static final long MIN_BACKOFF_MS = 500;
  private static final long MAX_BACKOFF_MS = 30_000;

  private final Vertx vertx;
  private final Redis client;
  private final String description;
  private final AtomicBoolean open = new AtomicBoolean(false);
  private final AtomicLong retryAtMillis = new AtomicLong();
  private final AtomicLong backoffMs = new AtomicLong(MIN_BACKOFF_MS);
  private final AtomicBoolean probing = new AtomicBoolean(false);

  private SharedRedis(Vertx vertx, RedisOptions options, String description) {
    this.vertx = vertx;
    this.client = Redis.createClient(vertx, options);
    this.description = description;
  }

  /** Thrown (as a failed future) while the circuit is open. */
  public static final class UnavailableException extends RuntimeException {
    UnavailableException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Redis from {@code router_settings.redis_url} / {@code redis_host}/{@code redis_port}/{@code
   * redis_password}, else {@code REDIS_URL} / {@code REDIS_HOST}/{@code REDIS_PORT}/{@code
   * REDIS_PASSWORD}; empty when none is configured.
   */
  public static Optional<SharedRedis> fromConfig(Vertx vertx, GatewayConfig config) {
    ConfigNode router = config.routerSettings();
    var env = config.env();
    Optional<String> url = router.optString("redis_url").or(() -> env.get("REDIS_URL"));
    Optional<String> host = router.optString("redis_host").or(() -> env.get("REDIS_HOST"));
    String port = router.optString("redis_port").or(() -> env.get("REDIS_PORT")).orElse("6379");
    Optional<String> password = router.optString("redis_password").or(() -> env.get("REDIS_PASSWORD"));
    if (url.isEmpty() && host.isEmpty()) {
      return Optional.empty();
    }
    String connection = url.orElseGet(() -> "redis://" + host.get() + ":" + port);
    RedisOptions options = new RedisOptions().setConnectionString(connection).setMaxPoolSize(16).setMaxPoolWaiting(1024);
    password.ifPresent(options::setPassword);
    return Optional.of(new SharedRedis(vertx, options, redacted(connection)));
  }

  /** For tests and tools: a Redis at a connection string. */
  public static SharedRedis connect(Vertx vertx, String connectionString) {
    return connect(vertx, connectionString, null);
  }

  /** A Redis at a connection string, with a password kept out of the URL (any characters allowed). */
  public static SharedRedis connect(Vertx vertx, String connectionString, String password) {
    RedisOptions options = new RedisOptions().setConnectionString(connectionString).setMaxPoolSize(16).setMaxPoolWaiting(1024);
    if (password != null) {
      options.setPassword(password);
    }
    return new SharedRedis(vertx, options, redacted(connectionString));
  }

  public boolean available() {
    return !open.get();
  }

  public String description() {
    return description;
  }

  public RedisAPI api() {
    return RedisAPI.api(client);
  }

  /** Sends a command, or fails at once while Redis is known to be down. */
  public Future<Response> send(Request request) {
    return guarded(() -> client.send(request));
  }

  /** Sends several commands in one round trip (pipelined), under the same circuit breaker. */
  public Future<List<Response>> batch(List<Request> requests) {
    return guarded(() -> client.batch(requests));
  }

  private <T> Future<T> guarded(Supplier<Future<T>> command) {
    if (open.get()) {
      if (System.currentTimeMillis() < retryAtMillis.get() || !probing.compareAndSet(false, true)) {
        return Future.failedFuture(new UnavailableException("Redis (" + description + ") is unavailable"));
      }
      return timed(command.get()).andThen(ar -> {
        probing.set(false);
        if (ar.succeeded()) {
          close(true);
        } else {
          trip(ar.cause());
        }
      });
    }
    return timed(command.get()).onFailure(this::trip);
  }

  /** A connection of its own (for SUBSCRIBE), outside the command timeout and the circuit breaker. */
  public Future<io.vertx.redis.client.RedisConnection> connect() {
    return client.connect();
  }

  public Future<Response> ping() {
    return send(Request.cmd(Command.PING));
  }

  private <T> Future<T> timed(Future<T> f) {
    Promise<T> p = Promise.promise();
    long timer = vertx.setTimer(COMMAND_TIMEOUT.toMillis(), id -> p.tryFail(new UnavailableException(
        "Redis (" + description + ") did not answer within " + COMMAND_TIMEOUT.toMillis() + " ms")));
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete(ar.result());
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  private void trip(Throwable cause) {
    if (!isConnectionFailure(cause)) {
      return; // a command error (wrong type, script error) says nothing about Redis being up
    }
    long backoff = open.get() ? Math.min(MAX_BACKOFF_MS, backoffMs.get() * 2) : MIN_BACKOFF_MS;
    backoffMs.set(backoff);
    retryAtMillis.set(System.currentTimeMillis() + backoff);
    if (open.compareAndSet(false, true)) {
      log.warn("Redis ({}) is unavailable: {}; serving with local state until it is back", description, cause.getMessage());
    }
  }

  private void close(boolean logIt) {
    backoffMs.set(MIN_BACKOFF_MS);
    if (open.compareAndSet(true, false) && logIt) {
      log.info("Redis ({}) is back", description);
    }
  }

  private static boolean isConnectionFailure(Throwable cause) {
    if (cause instanceof UnavailableException) {
      return true;
    }
    String m = String.valueOf(cause.getMessage()).toLowerCase();
    return !(m.startsWith("err") || m.startsWith("wrongtype") || m.startsWith("noscript") || m.contains("script"));
  }

  private static String redacted(String connection) {
    return connection.replaceAll("//[^@/]*@", "//***@");
  }

  @Override
  public void close() {
    client.close();
  }
}
