package dev.tollgate.observe.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  /** What {@link #masked} puts in place of a credential (LiteLLM's UI shows the same). */
  public static final String HIDDEN = "***";
  private static final List<String> CREDENTIAL_WORDS = List.of("authorization", "cookie", "key", "token", "secret", "password", "credential");
  /** {@code scheme://user:password@host}: group 1 up to the colon, group 2 the password. */
  private static final Pattern URL_PASSWORD = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*:)([^/?#@]*)@");
  /** A URL with a user but no password: the user is often a token ({@code https://ghp_...@host}). */
  private static final Pattern URL_USER_ONLY = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@:]+)@");

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

  /** Whether a field or header name looks like it holds a credential (api_key, client_secret, Authorization, x-api-key, Cookie, ...). */
  public static boolean isCredentialName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (String word : CREDENTIAL_WORDS) {
      if (n.contains(word)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A copy with every credential hidden, at any depth: the value of each credential-looking name
   * (numbers and booleans kept: {@code max_tokens} is no secret), so also each such header of
   * {@code extra_headers}; and the password of any URL ({@code https://user:***@host}).
   */
  public static JsonNode masked(JsonNode node) {
    if (node instanceof ObjectNode o) {
      ObjectNode out = o.objectNode();
      for (Map.Entry<String, JsonNode> f : o.properties()) {
        JsonNode v = f.getValue();
        boolean hide = isCredentialName(f.getKey()) && !v.isNull() && !v.isNumber() && !v.isBoolean();
        out.set(f.getKey(), hide ? TextNode.valueOf(HIDDEN) : masked(v));
      }
      return out;
    }
    if (node instanceof ArrayNode a) {
      ArrayNode out = a.arrayNode();
      a.forEach(x -> out.add(masked(x)));
      return out;
    }
    if (node != null && node.isTextual()) {
      String text = node.asText();
      String shown = maskedUrl(text);
      return shown.equals(text) ? node : TextNode.valueOf(shown);
    }
    return node;
  }

  /**
   * The text with the credentials of a URL at its start masked: the password
   * ({@code https://user:***@host}), or a user given alone ({@code https://***@host}).
   */
  public static String maskedUrl(String text) {
    if (text.indexOf('@') < 0) {
      return text;
    }
    Matcher m = URL_PASSWORD.matcher(text);
    if (m.find()) {
      return m.replaceFirst("$1" + Matcher.quoteReplacement(HIDDEN) + "@");
    }
    Matcher user = URL_USER_ONLY.matcher(text);
    return user.find() ? user.replaceFirst("$1" + Matcher.quoteReplacement(HIDDEN) + "@") : text;
  }
}
