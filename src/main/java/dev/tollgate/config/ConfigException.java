package dev.tollgate.config;

/** A config.yaml problem, phrased as one line that names the YAML path, the value and what is expected. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
