package dev.tollgate.auth;

import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Where clients put their key, and how keys are compared and stored. */
public final class ApiKeys {
  private ApiKeys() {}

  /**
   * The key a request presents: {@code Authorization: Bearer} (OpenAI clients), {@code x-api-key}
   * (Anthropic), {@code api-key} (Azure), {@code x-litellm-api-key}, {@code x-goog-api-key} (Gemini).
   */
  public static String fromHeaders(MultiMap headers) {
    // LiteLLM takes "Bearer <key>" in x-litellm-api-key as well
    String v = withoutBearer(headers.get("x-litellm-api-key"));
    if (v == null) {
      v = withoutBearer(headers.get("authorization"));
    }
    if (v == null) {
      v = headers.get("x-api-key");
    }
    if (v == null) {
      v = headers.get("api-key");
    }
    if (v == null) {
      v = headers.get("x-goog-api-key");
    }
    return v == null ? null : v.trim();
  }

  private static String withoutBearer(String v) {
    return v != null && v.regionMatches(true, 0, "Bearer ", 0, 7) ? v.substring(7) : v;
  }

  /** One digest per thread: looking the algorithm up on every request showed up in the profile. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  public static byte[] sha256(String key) {
    return SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8));
  }

  public static String sha256Hex(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }

  /** Constant-time: compares digests, so neither content nor length leaks through timing. */
  public static boolean matches(byte[] expectedDigest, String presented) {
    return presented != null && MessageDigest.isEqual(expectedDigest, sha256(presented));
  }
}
