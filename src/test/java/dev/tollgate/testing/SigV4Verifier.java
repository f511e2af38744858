package dev.tollgate.testing;

import io.vertx.core.http.HttpServerRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks an AWS Signature Version 4 the way AWS documents it (canonical request, string to sign,
 * derived signing key), independently of the gateway's signer. Returns null when the signature
 * is right, else why not.
 */
public final class SigV4Verifier {
  private static final Pattern AUTH = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})");
  private final Map<String, String> secretsByKeyId;
  private final String service;

  public SigV4Verifier(Map<String, String> secretsByKeyId, String service) {
    this.secretsByKeyId = secretsByKeyId;
    this.service = service;
  }

  public String problem(HttpServerRequest req, byte[] body) throws Exception {
    String auth = req.getHeader("authorization");
    Matcher m = auth == null ? null : AUTH.matcher(auth);
    if (m == null || !m.matches()) {
      return "missing or malformed Authorization header";
    }
    String secret = secretsByKeyId.get(m.group(1));
    if (secret == null) {
      return "unknown access key id";
    }
    if (!service.equals(m.group(4))) {
      return "signed for service " + m.group(4);
    }
    String amzDate = req.getHeader("x-amz-date");
    if (amzDate == null || !amzDate.startsWith(m.group(2))) {
      return "x-amz-date missing or not the credential's date";
    }
    Instant signedAt = LocalDateTime.parse(amzDate, DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")).toInstant(ZoneOffset.UTC);
    if (Duration.between(signedAt, Instant.now()).abs().toMinutes() > 15) {
      return "signature expired";
    }
    List<String> signedHeaders = List.of(m.group(5).split(";"));
    if (!signedHeaders.contains("host") || !signedHeaders.contains("x-amz-date")) {
      return "host and x-amz-date must be signed";
    }
    StringBuilder canonicalHeaders = new StringBuilder();
    for (String h : signedHeaders) {
      String v = req.getHeader(h);
      canonicalHeaders.append(h).append(':').append(v == null ? "" : v.trim()).append('\n');
    }
    List<String> segments = new ArrayList<>();
    for (String s : req.path().split("/", -1)) {
      segments.add(uriEncode(s));
    }
    TreeMap<String, String> query = new TreeMap<>();
    if (req.query() != null && !req.query().isEmpty()) {
      for (String pair : req.query().split("&")) {
        String[] kv = pair.split("=", 2);
        query.put(uriEncode(kv[0]), kv.length > 1 ? uriEncode(kv[1]) : "");
      }
    }
    List<String> q = new ArrayList<>();
    query.forEach((k, v) -> q.add(k + "=" + v));
    String canonical = req.method().name() + "\n" + String.join("/", segments) + "\n" + String.join("&", q) + "\n"
        + canonicalHeaders + "\n" + m.group(5) + "\n" + hex(sha256(body));
    String scope = m.group(2) + "/" + m.group(3) + "/" + m.group(4) + "/aws4_request";
    String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    byte[] k = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), m.group(2));
    for (String part : List.of(m.group(3), m.group(4), "aws4_request")) {
      k = hmac(k, part);
    }
    String expected = hex(hmac(k, toSign));
    return expected.equals(m.group(6)) ? null : "signature mismatch";
  }

  /** RFC 3986: unreserved characters stay, everything else is %XX (uppercase). */
  private static String uriEncode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  private static byte[] hmac(byte[] key, String data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
