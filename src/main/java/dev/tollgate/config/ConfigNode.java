package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A typed, validating view of one node of config.yaml. Every getter names the YAML path in its
 * error, and every key read is remembered, so that the settings nobody read can be reported as
 * ignored at start.
 */
public final class ConfigNode {
  private final String path;
  private final JsonNode node;
  private final Set<String> readPaths;

  ConfigNode(String path, JsonNode node, Set<String> readPaths) {
    this.path = path;
    this.node = node == null ? MissingNode.getInstance() : node;
    this.readPaths = readPaths;
  }

  public String path() {
    return path;
  }

  public boolean isMissing() {
    return node.isMissingNode() || node.isNull();
  }

  public boolean has(String key) {
    JsonNode v = node.get(key);
    return v != null && !v.isNull();
  }

  /** The raw JSON of this node; marks it and everything below it as read. */
  public JsonNode raw() {
    readPaths.add(path);
    return node;
  }

  public ConfigNode child(String key) {
    String childPath = path.isEmpty() ? key : path + "." + key;
    readPaths.add(childPath);
    return new ConfigNode(childPath, node.get(key), readPaths);
  }

  /** A mapping child; missing is fine (empty), anything else but a mapping is an error. */
  public ConfigNode section(String key) {
    ConfigNode c = child(key);
    if (!c.isMissing() && !c.node.isObject()) {
      throw c.invalid("a mapping");
    }
    return c;
  }

  public List<ConfigNode> list(String key) {
    ConfigNode c = child(key);
    if (c.isMissing()) {
      return List.of();
    }
    if (!c.node.isArray()) {
      throw c.invalid("a list");
    }
    List<ConfigNode> items = new ArrayList<>();
    for (int i = 0; i < c.node.size(); i++) {
      items.add(new ConfigNode(path(key) + "[" + i + "]", c.node.get(i), readPaths));
    }
    return items;
  }

  public Optional<String> optString(String key) {
    ConfigNode c = child(key);
    if (c.isMissing()) {
      return Optional.empty();
    }
    if (c.node.isContainerNode()) {
      throw c.invalid("a string");
    }
    return Optional.of(c.node.asText());
  }

  public String string(String key) {
    return optString(key).orElseThrow(() -> new ConfigException(path(key) + ": missing (a string is required)"));
  }

  public List<String> stringList(String key) {
    ConfigNode c = child(key);
    if (c.isMissing()) {
      return List.of();
    }
    if (c.node.isTextual()) {
      return List.of(c.node.asText());
    }
    if (!c.node.isArray()) {
      throw c.invalid("a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : c.node) {
      if (item.isContainerNode()) {
        throw c.invalid("a list of strings");
      }
      out.add(item.asText());
    }
    return out;
  }

  public Optional<Double> optNumber(String key) {
    ConfigNode c = child(key);
    if (c.isMissing()) {
      return Optional.empty();
    }
    if (c.node.isNumber()) {
      return Optional.of(c.node.asDouble());
    }
    if (c.node.isTextual()) {
      try {
        return Optional.of(Double.parseDouble(c.node.asText().trim()));
      } catch (NumberFormatException e) {
        throw c.invalid("a number");
      }
    }
    throw c.invalid("a number");
  }

  public Optional<Double> optNonNegative(String key) {
    Optional<Double> v = optNumber(key);
    if (v.isPresent() && (v.get() < 0 || v.get().isNaN())) {
      throw child(key).invalid("a number >= 0");
    }
    return v;
  }

  public Optional<Integer> optInt(String key) {
    Optional<Double> v = optNumber(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    double d = v.get();
    if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
      throw child(key).invalid("a whole number");
    }
    return Optional.of((int) d);
  }

  public Optional<Integer> optNonNegativeInt(String key) {
    Optional<Integer> v = optInt(key);
    if (v.isPresent() && v.get() < 0) {
      throw child(key).invalid("a whole number >= 0");
    }
    return v;
  }

  /** Seconds, as LiteLLM writes timeouts (a number, possibly fractional). */
  public Optional<Duration> optSeconds(String key) {
    Optional<Double> v = optNumber(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (v.get() <= 0 || v.get().isNaN() || v.get().isInfinite()) {
      throw child(key).invalid("a number of seconds > 0");
    }
    return Optional.of(Duration.ofNanos((long) (v.get() * 1_000_000_000L)));
  }

  public boolean bool(String key, boolean fallback) {
    ConfigNode c = child(key);
    if (c.isMissing()) {
      return fallback;
    }
    if (c.node.isBoolean()) {
      return c.node.asBoolean();
    }
    if (c.node.isTextual()) {
      String s = c.node.asText().trim().toLowerCase();
      if (s.equals("true") || s.equals("yes") || s.equals("1")) {
        return true;
      }
      if (s.equals("false") || s.equals("no") || s.equals("0")) {
        return false;
      }
    }
    throw c.invalid("true or false");
  }

  /** A mapping of strings to strings (headers, environment variables). */
  public Map<String, String> stringMap(String key) {
    ConfigNode c = section(key);
    Map<String, String> out = new LinkedHashMap<>();
    if (c.isMissing()) {
      return out;
    }
    c.node.fields().forEachRemaining(e -> {
      if (e.getValue().isContainerNode()) {
        throw new ConfigException(c.path + "." + e.getKey() + ": " + describe(e.getValue()) + " is not valid (expected a string)");
      }
      out.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
    });
    return out;
  }

  public ObjectNode objectOrEmpty() {
    readPaths.add(path);
    return node.isObject() ? (ObjectNode) node : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
  }

  public ConfigException invalid(String expected) {
    return new ConfigException(path + ": " + describe(node) + " is not valid (expected " + expected + ")");
  }

  public ConfigException error(String key, String problem) {
    return new ConfigException(path(key) + ": " + problem);
  }

  private String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  static String describe(JsonNode v) {
    if (v.isTextual()) {
      return "\"" + v.asText() + "\"";
    }
    if (v.isObject()) {
      return "a mapping";
    }
    if (v.isArray()) {
      return "a list";
    }
    return v.toString();
  }
}
