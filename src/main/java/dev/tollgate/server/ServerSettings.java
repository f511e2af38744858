package dev.tollgate.server;

import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.GatewayConfig;
import java.time.Duration;

/** The HTTP-facing settings of {@code general_settings} / {@code litellm_settings}, read once at start. */
public record ServerSettings(
    String host,
    int port,
    long maxRequestBytes,
    int numRetries,
    Duration drainTimeout,
    boolean dropParams,
    boolean detailedDebug) {

  public static final int DEFAULT_MAX_REQUEST_SIZE_MB = 64;

  public static ServerSettings from(GatewayConfig config, String host, int port, boolean detailedDebug) {
    ConfigNode general = config.generalSettings();
    ConfigNode litellm = config.litellmSettings();
    double maxMb = general.optNonNegative("max_request_size_mb").orElse((double) DEFAULT_MAX_REQUEST_SIZE_MB);
    if (maxMb <= 0) {
      throw general.child("max_request_size_mb").invalid("a number of megabytes > 0");
    }
    int retries = litellm.optNonNegativeInt("num_retries").orElse(0);
    Duration drain = general.optSeconds("graceful_shutdown_timeout")
        .or(() -> config.env().get("TOLLGATE_DRAIN_TIMEOUT").map(ServerSettings::seconds))
        .orElse(Duration.ofSeconds(30));
    boolean dropParams = litellm.bool("drop_params", false);
    return new ServerSettings(host, port, (long) (maxMb * 1024 * 1024), retries, drain, dropParams, detailedDebug);
  }

  private static Duration seconds(String value) {
    try {
      return Duration.ofMillis((long) (Double.parseDouble(value.trim()) * 1000));
    } catch (NumberFormatException e) {
      throw new ConfigException("TOLLGATE_DRAIN_TIMEOUT: \"" + value + "\" is not valid (expected a number of seconds)");
    }
  }
}
