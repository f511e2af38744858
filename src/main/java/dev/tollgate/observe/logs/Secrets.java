package dev.tollgate.observe.logs;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps keys out of log lines and of the upstream errors clients see: every line written and every
 * upstream error message goes through {@link #redact}, which masks the
 * secrets the gateway was configured with (master key, provider keys: registered at start) and
 * anything shaped like a key ({@code sk-...}, {@code Bearer ...}), whoever logged it.
 */
public final class Secrets {
  private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();
  private static final Pattern KEY_SHAPED = Pattern.compile(
      "(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]{8,}|\\b(sk|gsk|xai|pk)-[A-Za-z0-9_-]{4,}|\\bAIza[A-Za-z0-9_-]{20,}");
  private static final String MASK = "[REDACTED]";

  private Secrets() {}

  /** Adds a configured secret (ignored when too short to be one: masking "a" everywhere helps no one). */
  public static void register(String secret) {
    if (secret != null && secret.length() >= 6) {
      KNOWN.add(secret);
    }
  }

  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    for (String secret : KNOWN) {
      if (out.contains(secret)) {
        out = out.replace(secret, MASK);
      }
    }
    Matcher m = KEY_SHAPED.matcher(out);
    if (!m.find()) {
      return out;
    }
    StringBuilder sb = new StringBuilder(out.length());
    do {
      m.appendReplacement(sb, m.group(1) != null ? Matcher.quoteReplacement(m.group(1) + MASK) : MASK);
    } while (m.find());
    m.appendTail(sb);
    return sb.toString();
  }
}
