package dev.tollgate.provider.bedrock;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** AWS Signature Version 4 for one request (headers signed: host, content-type, x-amz-date, x-amz-security-token). */
final class SigV4 {
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  private static final HexFormat HEX = HexFormat.of();

  record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {}

  private SigV4() {}

  /** Adds {@code host}, {@code x-amz-date}, the session token if any, and {@code authorization} to {@code headers}. */
  static void sign(String method, URI uri, MultiMap headers, Buffer body, Credentials creds, String region, String service,
      ZonedDateTime now) {
    String amzDate = AMZ_DATE.format(now.withZoneSameInstant(ZoneOffset.UTC));
    String date = amzDate.substring(0, 8);
    int port = uri.getPort();
    boolean defaultPort = port < 0 || (port == 443 && "https".equals(uri.getScheme())) || (port == 80 && "http".equals(uri.getScheme()));
    headers.set("host", defaultPort ? uri.getHost() : uri.getHost() + ":" + port);
    headers.set("x-amz-date", amzDate);
    if (creds.sessionToken() != null) {
      headers.set("x-amz-security-token", creds.sessionToken());
    }
    Map<String, String> signed = new TreeMap<>();
    for (String name : new String[] {"host", "content-type", "x-amz-date", "x-amz-security-token"}) {
      String v = headers.get(name);
      if (v != null) {
        signed.put(name, v.trim().replaceAll(" +", " "));
      }
    }
    StringBuilder canonicalHeaders = new StringBuilder();
    signed.forEach((k, v) -> canonicalHeaders.append(k).append(':').append(v).append('\n'));
    String signedHeaders = String.join(";", signed.keySet());
    String canonicalRequest = method + "\n" + canonicalPath(uri.getRawPath()) + "\n" + canonicalQuery(uri.getRawQuery()) + "\n"
        + canonicalHeaders + "\n" + signedHeaders + "\n" + hex(sha256(body.getBytes()));
    String scope = date + "/" + region + "/" + service + "/aws4_request";
    String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    byte[] key = hmac(("AWS4" + creds.secretAccessKey()).getBytes(StandardCharsets.UTF_8), date);
    key = hmac(key, region);
    key = hmac(key, service);
    key = hmac(key, "aws4_request");
    String signature = hex(hmac(key, stringToSign));
    headers.set("authorization", "AWS4-HMAC-SHA256 Credential=" + creds.accessKeyId() + "/" + scope
        + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature);
  }

  /** Every segment of the path as sent, URI-encoded once more (all services but S3 sign the path double-encoded). */
  static String canonicalPath(String rawPath) {
    if (rawPath == null || rawPath.isEmpty()) {
      return "/";
    }
    StringBuilder sb = new StringBuilder();
    String[] segments = rawPath.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      if (i > 0) {
        sb.append('/');
      }
      sb.append(encode(segments[i]));
    }
    return sb.toString();
  }

  private static String canonicalQuery(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    TreeMap<String, String> sorted = new TreeMap<>();
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      sorted.put(encode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : encode(pair.substring(eq + 1)));
    }
    StringBuilder sb = new StringBuilder();
    sorted.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : "&").append(k).append('=').append(v));
    return sb.toString();
  }

  /** RFC 3986 percent-encoding of everything but the unreserved characters. */
  static String encode(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
        sb.append(c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] b) {
    return HEX.formatHex(b);
  }
}
