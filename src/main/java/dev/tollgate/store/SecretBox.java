package dev.tollgate.store;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts what is stored about providers (API keys in {@code litellm_params}) with AES-256-GCM
 * under a key derived from {@code LITELLM_SALT_KEY} (the master key when unset, as LiteLLM does).
 * GCM authenticates: a value sealed under another salt key fails to open instead of decrypting
 * to garbage, which is how a changed salt key is detected.
 */
public final class SecretBox {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PREFIX = "gcm1:";
  private final SecretKeySpec key;

  public SecretBox(String saltKey) {
    try {
      byte[] k = MessageDigest.getInstance("SHA-256").digest(saltKey.getBytes(StandardCharsets.UTF_8));
      this.key = new SecretKeySpec(k, "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public String seal(String plain) {
    try {
      byte[] iv = new byte[12];
      RANDOM.nextBytes(iv);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
      byte[] ct = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[iv.length + ct.length];
      System.arraycopy(iv, 0, out, 0, iv.length);
      System.arraycopy(ct, 0, out, iv.length, ct.length);
      return PREFIX + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Opens a sealed value; throws {@link WrongKeyException} when it was sealed under another key. */
  public String open(String sealed) {
    if (!sealed.startsWith(PREFIX)) {
      throw new WrongKeyException();
    }
    try {
      byte[] in = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, 12));
      return new String(c.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new WrongKeyException();
    }
  }

  /** The salt key is not the one the value was sealed with. */
  public static final class WrongKeyException extends RuntimeException {
    WrongKeyException() {
      super("sealed under another LITELLM_SALT_KEY", null, false, false);
    }
  }
}
