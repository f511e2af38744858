package dev.tollgate.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.tollgate.redis.SharedRedis;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;

/** Where cached answers live: in this process (bounded) or in the Redis every replica shares. */
interface CacheStore {
  /** The entry, or null on a miss (also when the store is unreachable: a miss, never an error). */
  Future<Buffer> get(String key);

  /** Stores without waiting; {@code ttl} null means the store's default. */
  void put(String key, Buffer value, Duration ttl);

  Future<Void> ping();

  String type();

  /** Caffeine, bounded by entry count, each entry expiring after its own ttl. */
  final class Local implements CacheStore {
    private record Entry(Buffer value, long ttlNanos) {}

    private final Cache<String, Entry> cache;
    private final Duration defaultTtl;

    Local(long maxEntries, Duration defaultTtl) {
      this.defaultTtl = defaultTtl;
      this.cache = Caffeine.newBuilder().maximumSize(maxEntries).expireAfter(new Expiry<String, Entry>() {
        @Override
        public long expireAfterCreate(String key, Entry e, long now) {
          return e.ttlNanos;
        }

        @Override
        public long expireAfterUpdate(String key, Entry e, long now, long current) {
          return e.ttlNanos;
        }

        @Override
        public long expireAfterRead(String key, Entry e, long now, long current) {
          return current;
        }
      }).build();
    }

    @Override
    public Future<Buffer> get(String key) {
      Entry e = cache.getIfPresent(key);
      return Future.succeededFuture(e == null ? null : e.value);
    }

    @Override
    public void put(String key, Buffer value, Duration ttl) {
      cache.put(key, new Entry(value, (ttl != null ? ttl : defaultTtl).toNanos()));
    }

    @Override
    public Future<Void> ping() {
      return Future.succeededFuture();
    }

    @Override
    public String type() {
      return "local";
    }
  }

  /** Redis GET / SET PX; no ttl means the entry stays until Redis evicts it (as LiteLLM). */
  final class Redis implements CacheStore {
    private final SharedRedis redis;
    private final Duration defaultTtl;

    Redis(SharedRedis redis, Duration defaultTtl) {
      this.redis = redis;
      this.defaultTtl = defaultTtl;
    }

    @Override
    public Future<Buffer> get(String key) {
      return redis.send(Request.cmd(Command.GET).arg(key))
          .map(r -> r == null ? null : r.toBuffer())
          .otherwise((Buffer) null);
    }

    @Override
    public void put(String key, Buffer value, Duration ttl) {
      Duration t = ttl != null ? ttl : defaultTtl;
      Request set = Request.cmd(Command.SET).arg(key).arg(value);
      if (t != null) {
        set.arg("PX").arg(Math.max(1, t.toMillis()));
      }
      redis.send(set);
    }

    @Override
    public Future<Void> ping() {
      return redis.ping().mapEmpty();
    }

    @Override
    public String type() {
      return "redis";
    }
  }
}
