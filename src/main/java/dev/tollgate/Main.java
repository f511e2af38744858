package dev.tollgate;

import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.observe.exporter.MetricsExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar tollgate.jar [--config FILE] [--port N] [--host H] [--detailed_debug]}, plus
 * subcommands that container images and operators need.
 */
@Command(name = "tollgate", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
    description = "An OpenAI-compatible LLM gateway (a drop-in replacement for the LiteLLM proxy).",
    subcommands = {Main.HealthCommand.class, Main.MigrateCommand.class, Main.MetricsExporterCommand.class})
public final class Main implements Callable<Integer> {
  @Option(names = "--config", description = "LiteLLM-style config.yaml (without it: no models, still serves health)")
  Path config;

  @Option(names = "--port", description = "port to listen on (default: $PORT or 4000)")
  Integer port;

  @Option(names = "--host", description = "address to bind (default: $HOST or 0.0.0.0)")
  String host;

  @Option(names = {"--detailed_debug", "--detailed-debug", "--debug"}, description = "log each request at DEBUG")
  boolean detailedDebug;

  @Option(names = {"--drop_params", "--drop-params"}, description = "drop request parameters a provider does not take "
      + "(litellm_settings.drop_params: true)")
  boolean dropParams;

  // LiteLLM's flags that mean nothing here, accepted so that its compose files and scripts start Tollgate unchanged
  @Option(names = {"--num_workers", "--num-workers"}, hidden = true, description = "Tollgate uses one event loop per core")
  Integer numWorkers;

  @Option(names = "--telemetry", hidden = true, arity = "0..1", description = "Tollgate sends no telemetry")
  String telemetry;

  @Option(names = "--run_gunicorn", hidden = true, description = "Tollgate is one process")
  boolean runGunicorn;

  public static void main(String[] args) {
    // Netty checks for Flight Recorder to emit its allocator events, which loads and starts JFR's
    // machinery (about 100 ms of start-up and 170 classes) for events nobody records by default
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    if (code != 0 || !isServing(args)) {
      System.exit(code);
    }
  }

  private static boolean isServing(String[] args) {
    for (String a : args) {
      if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version") || a.equals("health") || a.equals("migrate")
          || a.equals("metrics-exporter")) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Integer call() {
    Environment env = Environment.system();
    Logging.configure(env, detailedDebug);
    var log = LoggerFactory.getLogger(Main.class);
    String listenHost = host != null ? host : env.get("HOST").orElse("0.0.0.0");
    Gateway gateway;
    try {
      int listenPort = port != null ? port : portFromEnvironment(env);
      GatewayConfig cfg = config == null ? GatewayConfig.empty(env) : ConfigLoader.load(config, env);
      if (dropParams) {
        cfg.setLitellmSetting("drop_params", true);
      }
      if (config == null) {
        log.info("no --config given: starting with no models");
      }
      gateway = Gateway.start(cfg, listenHost, listenPort, detailedDebug);
    } catch (ConfigException e) {
      log.error("config error: {}", e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      log.error("start-up failed: {}", e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable shutdown = () -> {
      log.info("shutting down: draining requests in flight");
      gateway.stop();
      log.info("stopped");
      stopped.countDown();
    };
    Signals.onTermination(shutdown);
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** {@code tollgate health}: exits 0 when the local gateway is ready — a container HEALTHCHECK with no curl. */
  @Command(name = "health", description = "check /health/readiness of a running gateway (exit 0 when ready)")
  static final class HealthCommand implements Callable<Integer> {
    @Option(names = "--port", description = "port of the gateway (default: $PORT or 4000)")
    Integer port;

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--path", defaultValue = "/health/readiness")
    String path;

    @Override
    public Integer call() {
      int p;
      try {
        p = port != null ? port : portFromEnvironment(Environment.system());
      } catch (ConfigException e) {
        System.out.println("unhealthy: " + e.getMessage());
        return 1;
      }
      try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()) {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + p + path))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        System.out.println(r.statusCode() + " " + r.body());
        return r.statusCode() == 200 ? 0 : 1;
      } catch (Exception e) {
        System.out.println("unhealthy: " + e.getMessage());
        return 1;
      } 
    }
  }

  /** {@code PORT}, 4000 when unset; a wrong value is a config error, not a stack trace. */
  static int portFromEnvironment(Environment env) {
    return portFromEnvironment(env, "PORT", 4000);
  }

  static int portFromEnvironment(Environment env, String name, int fallback) {
    String v = env.get(name).orElse(Integer.toString(fallback)).trim();
    try {
      int p = Integer.parseInt(v);
      if (p >= 0 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new ConfigException(name + ": \"" + v + "\" is not valid (expected a port number, 0-65535)");
  }

  /** {@code tollgate migrate}: applies the database migrations and exits (non-zero, one line, on failure). */
  @Command(name = "migrate", description = "apply the database migrations (SQLite file or DATABASE_URL) and exit")
  static final class MigrateCommand implements Callable<Integer> {
    @Option(names = "--config", description = "config.yaml (for general_settings.database_url / database_path)")
    Path config;

    @Override
    public Integer call() {
      Environment env = Environment.system();
      Logging.configure(env, false);
      try {
        GatewayConfig cfg = config == null ? GatewayConfig.empty(env) : ConfigLoader.load(config, env);
        try (dev.tollgate.store.Database db = dev.tollgate.store.Database.open(cfg)) {
          db.migrate();
          System.out.println("database " + db.description() + ": schema is current");
        }
        return 0;
      } catch (RuntimeException e) {
        System.err.println("migrate failed: " + e.getMessage());
        return 1;
      }
    }
  }

  /** {@code tollgate metrics-exporter}: Prometheus metrics computed from the database, on a port of its own. */
  @Command(name = "metrics-exporter", description = "serve Prometheus metrics computed from the database (spend, requests, tokens, budgets of all replicas)")
  static final class MetricsExporterCommand implements Callable<Integer> {
    @Option(names = "--config", description = "config.yaml (for general_settings.database_url / database_path)")
    Path config;

    @Option(names = "--port", description = "port to listen on (default: $METRICS_EXPORTER_PORT or " + MetricsExporter.DEFAULT_PORT + ")")
    Integer port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--days", defaultValue = "7", description = "days of daily aggregates to export, today (UTC) included (default: ${DEFAULT-VALUE})")
    int days;

    @Option(names = "--cache-seconds", defaultValue = "10", description = "reuse a read of the database for this long (default: ${DEFAULT-VALUE})")
    int cacheSeconds;

    @Option(names = "--max-series", defaultValue = "10000", description = "at most this many daily rows and budgets per read (default: ${DEFAULT-VALUE})")
    int maxSeries;

    @Override
    public Integer call() {
      Environment env = Environment.system();
      Logging.configure(env, false);
      MetricsExporter exporter;
      try {
        GatewayConfig cfg = config == null ? GatewayConfig.empty(env) : ConfigLoader.load(config, env);
        int p = port != null ? port : portFromEnvironment(env, "METRICS_EXPORTER_PORT", MetricsExporter.DEFAULT_PORT);
        exporter = MetricsExporter.start(cfg, new MetricsExporter.Options(host, p, days, cacheSeconds, maxSeries));
      } catch (RuntimeException e) {
        System.err.println("metrics-exporter: " + e.getMessage());
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Signals.onTermination(() -> {
        exporter.close();
        stopped.countDown();
      });
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 0;
    }
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"Tollgate " + Version.VERSION};
    }
  }
}
