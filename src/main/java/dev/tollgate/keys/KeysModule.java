package dev.tollgate.keys;

import dev.tollgate.admin.AdminRoutes;
import dev.tollgate.admin.ModelAdmin;
import dev.tollgate.provider.Deployment;
import dev.tollgate.store.ModelStore;
import dev.tollgate.store.SecretBox;
import java.util.List;
import java.util.Optional;
import dev.tollgate.admin.SpendAdmin;
import dev.tollgate.auth.Authenticator;
import dev.tollgate.auth.MasterKeyAuthenticator;
import dev.tollgate.call.Interceptor;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.limits.Enforcement;
import dev.tollgate.limits.ModelAccess;
import dev.tollgate.observe.ObservedEvents;
import dev.tollgate.redis.SharedRedis;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import dev.tollgate.router.Router;
import dev.tollgate.server.GatewayVerticle;
import dev.tollgate.spend.Prices;
import dev.tollgate.spend.SpendWriter;
import dev.tollgate.store.Database;
import dev.tollgate.store.EntityStore;
import dev.tollgate.store.SpendStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Virtual keys, budgets, limits and spend, wired together: the database (migrated at start), the
 * in-memory accounts (refreshed on an interval), the spend writer with its journal, the
 * enforcement interceptor and the admin routes. What {@code Gateway.start} plugs in.
 */
public final class KeysModule implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KeysModule.class);
  private static final String CHANNEL = "tollgate:accounts";
  private static final String MODEL = "model"; // a message kind on CHANNEL: the stored models changed

  private final GatewayConfig config;
  private final Clock clock = Clock.systemUTC();
  private final Database db;
  private final EntityStore entities;
  private final Accounts accounts;
  private final Prices prices;
  private final ModelStore models;
  private final boolean storeModelsInDb;
  private final Duration batch;
  private final boolean fsyncBeforeResponse;
  private final Path journalDir;
  private final Duration refreshEvery;
  private final Duration retention;
  private final SpendStore spendStore;
  private SpendWriter writer;
  private Authenticator authenticator;
  private Enforcement enforcement;
  private AdminRoutes admin;
  private Thread maintenance;
  private volatile Router router;
  private volatile SharedRedis redis;
  private volatile int lastUnreadable; // stored models another salt key sealed, last time they were read
  private volatile boolean migrated;
  private volatile boolean running = true;

  private KeysModule(GatewayConfig config) {
    this.config = config;
    ConfigNode general = config.generalSettings();
    batch = general.optSeconds("proxy_batch_write_at").orElse(Duration.ofSeconds(10));
    fsyncBeforeResponse = general.bool("spend_journal_fsync_before_response", false);
    refreshEvery = config.env().get("TOLLGATE_CACHE_REFRESH_SECONDS").map(s -> Duration.ofMillis((long) (Double.parseDouble(s) * 1000)))
        .orElse(Duration.ofSeconds(5));
    retention = general.optString("maximum_spend_logs_retention_period").map(s -> {
      try {
        return BudgetPeriods.parse(s);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("general_settings.maximum_spend_logs_retention_period: " + e.getMessage());
      }
    }).orElse(null);
    journalDir = Path.of(general.optString("spend_journal_dir").or(() -> config.env().get("TOLLGATE_SPEND_JOURNAL_DIR"))
        .orElse("./tollgate-spend-journal"));
    storeModelsInDb = general.bool("store_model_in_db", false) || config.env().flag("STORE_MODEL_IN_DB");
    String salt = config.env().get("LITELLM_SALT_KEY").or(() -> general.optString("master_key"))
        .or(() -> config.env().get("LITELLM_MASTER_KEY")).orElse("");
    db = Database.open(config);
    entities = new EntityStore(db);
    spendStore = new SpendStore(db);
    models = new ModelStore(db, new SecretBox(salt));
    accounts = new Accounts(entities, spendStore, clock);
    prices = Prices.bundled();
    migrateAndLoad();
  }

  /** Opens the database and applies the migrations (a database that is down is retried in the background). */
  public static KeysModule open(GatewayConfig config) {
    return new KeysModule(config);
  }

  /** Models added through /model/new, to serve beside config.yaml's; those sealed under another salt key are reported and left out. */
  public List<Deployment> storedDeployments() {
    try {
      return loadStored().orElse(List.of());
    } catch (Exception e) {
      log.error("models stored in the database are not served: {}", e.getMessage());
      return List.of();
    }
  }

  /** The stored models' deployments; empty before the database is migrated or without store_model_in_db. */
  private Optional<List<Deployment>> loadStored() throws Exception {
    if (!storeModelsInDb || !migrated) {
      return Optional.empty();
    }
    List<ModelStore.StoredModel> stored = models.all();
    int unreadable = (int) stored.stream().filter(m -> m.litellmParams() == null).count();
    if (unreadable != lastUnreadable && unreadable > 0) {
      log.error("{}", ModelAdmin.saltMessage(unreadable));
    }
    lastUnreadable = unreadable;
    return Optional.of(ModelAdmin.deployments(stored, config.env()));
  }

  /**
   * Serves the models stored in the database now, when they changed: after /model/* on this
   * replica, on every refresh, and at once on a change announced by another replica through Redis.
   * Synchronized so that an older read never replaces a newer one. Unreadable now: keeps what it serves.
   */
  private synchronized void reloadModels() {
    Router r = router;
    if (r == null) {
      return;
    }
    try {
      loadStored().filter(r::replaceStored).ifPresent(ds -> log.info("models stored in the database changed: serving {}",
          String.join(", ", r.modelNames())));
    } catch (Exception e) {
      log.debug("stored models not reloaded (still serving the ones read before): {}", e.getMessage());
    }
  }

  private void modelsChanged(String modelId) {
    reloadModels();
    SharedRedis r = redis;
    if (r != null) {
      r.send(Request.cmd(Command.PUBLISH).arg(CHANNEL).arg(MODEL + ":" + modelId));
    }
  }

  /**
   * Starts accounting for a router: spend writer (replaying the journal), enforcement (reporting
   * budgets left to {@code events}), admin routes, refresh.
   */
  public KeysModule start(Router router, MasterKeyAuthenticator master, ObservedEvents events) {
    this.router = router;
    try {
      writer = new SpendWriter(journalDir, spendStore, batch, fsyncBeforeResponse, accounts.databaseMonitor(), accounts::written);
    } catch (IOException e) {
      close();
      throw new ConfigException("spend journal: " + e.getMessage() + " (set general_settings.spend_journal_dir to a writable folder)");
    }
    accounts.writeSpendBeforeResets(writer::writeOnce);
    ModelAccess access = new ModelAccess(accounts, router);
    authenticator = new VirtualKeyAuthenticator(master, accounts, access, clock);
    enforcement = new Enforcement(accounts, access, prices, writer, router, clock, events);
    admin = new AdminRoutes(entities, accounts, clock, new SpendAdmin(spendStore, prices, router, 0),
        new ModelAdmin(models, router, access, prices, config.env(), storeModelsInDb, clock, this::modelsChanged));
    maintenance = Thread.ofPlatform().name("tollgate-accounts-refresh").daemon().start(this::maintain);
    return this;
  }

  private void migrateAndLoad() {
    try {
      if (!migrated) {
        db.migrate();
        migrated = true;
      }
      accounts.refresh();
    } catch (Database.MigrationException e) {
      log.error("{}; retrying in the background (only the master key works until then)", e.getMessage());
    } catch (Exception e) {
      // the database logs once when it goes away and once when it is back; no line per attempt
      log.debug("keys could not be loaded from database {}: {}", db.description(), e.getMessage());
    }
  }

  private void maintain() {
    long lastRetention = 0;
    while (running) {
      try {
        Thread.sleep(refreshEvery.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      migrateAndLoad();
      reloadModels();
      if (retention != null && migrated && System.currentTimeMillis() - lastRetention > 3_600_000) {
        try {
          long deleted = spendStore.deleteBefore(System.currentTimeMillis() - retention.toMillis(), 1000);
          lastRetention = System.currentTimeMillis();
          if (deleted > 0) {
            log.info("spend logs retention: deleted {} row(s) older than {}", deleted, retention);
          }
        } catch (Exception e) {
          log.warn("spend logs retention did not run: {}", e.getMessage());
        }
      }
    }
  }

  /**
   * With Redis, limits and budgets are shared by every replica, and a change made through one
   * replica's admin API reaches the others' caches at once (pub/sub; the periodic refresh stays
   * as the safety net).
   */
  public void useRedis(Vertx vertx, SharedRedis redis) {
    this.redis = redis;
    enforcement.share(redis);
    accounts.onChange((kind, id) -> redis.send(Request.cmd(Command.PUBLISH).arg(CHANNEL).arg(kind + ":" + id)));
    accounts.onBudgetReset((kind, id) -> redis.send(Request.cmd(Command.SET).arg("tg:spent:" + kind + ":" + id).arg("0")));
    subscribe(vertx, redis);
  }

  private void subscribe(Vertx vertx, SharedRedis redis) {
    if (!running) {
      return;
    }
    redis.connect().onSuccess(conn -> {
      conn.handler(msg -> {
        if (msg.size() == 3 && "message".equals(msg.get(0).toString())) {
          String[] kindId = msg.get(2).toString().split(":", 2);
          Thread.ofVirtual().start(() -> {
            try {
              if (MODEL.equals(kindId[0])) {
                reloadModels();
              } else {
                accounts.reload(kindId[0], kindId[1]);
              }
            } catch (Exception e) {
              log.debug("reload of {} after a change on another replica failed: {}", kindId[0], e.getMessage());
            }
          });
        }
      });
      conn.exceptionHandler(e -> conn.close());
      conn.endHandler(v -> vertx.setTimer(1_000, t -> subscribe(vertx, redis)));
      conn.send(Request.cmd(Command.SUBSCRIBE).arg(CHANNEL));
    }).onFailure(e -> vertx.setTimer(1_000, t -> subscribe(vertx, redis)));
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  public Interceptor enforcement() {
    return enforcement;
  }

  public GatewayVerticle.RouteContributor routes() {
    return admin;
  }

  public Accounts accounts() {
    return accounts;
  }

  public SpendWriter spendWriter() {
    return writer;
  }

  /** For readiness: "connected" or "disconnected". */
  public String databaseState() {
    return migrated && db.reachable() ? "connected" : "disconnected";
  }

  @Override
  public void close() {
    running = false;
    if (maintenance != null) {
      maintenance.interrupt();
    }
    if (writer != null) {
      writer.close();
    }
    db.close();
  }
}
