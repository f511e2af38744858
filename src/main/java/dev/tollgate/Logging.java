package dev.tollgate;

import dev.tollgate.config.Environment;

/** Chooses the log level and format before the first logger exists: {@code LITELLM_LOG}, or DEBUG with --detailed_debug; {@code JSON_LOGS}. */
final class Logging {
  private Logging() {}

  static void configure(Environment env, boolean detailedDebug) {
    String level = detailedDebug ? "DEBUG" : env.get("LITELLM_LOG").map(String::toUpperCase).orElse("INFO");
    if (!level.matches("TRACE|DEBUG|INFO|WARN|WARNING|ERROR")) {
      level = "INFO";
    }
    System.setProperty("TOLLGATE_LOG_LEVEL", level.equals("WARNING") ? "WARN" : level);
    // JSON_LOGS before the first line; litellm_settings.json_logs is applied once the config is read
    dev.tollgate.observe.logs.GatewayEncoder.useJson(env.flag("JSON_LOGS"));
  }
}
