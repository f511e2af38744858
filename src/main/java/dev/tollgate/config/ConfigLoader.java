package dev.tollgate.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Reads LiteLLM's config.yaml: YAML, {@code environment_variables}, {@code os.environ/NAME} references. */
public final class ConfigLoader {
  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);
  private static final String ENV_REF = "os.environ/";
  private static final YAMLMapper YAML = new YAMLMapper();

  private ConfigLoader() {}

  public static GatewayConfig load(Path file, Environment env) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": config file not found");
    } catch (AccessDeniedException e) {
      throw new ConfigException(file + ": config file is not readable (permission denied)");
    } catch (IOException e) {
      throw new ConfigException(file + ": config file cannot be read: " + e.getMessage());
    }
    return fromYaml(text, file.toString(), env);
  }

  /** SnakeYAML's message quotes the offending lines with a caret under them: keep its words only. */
  private static String oneLine(JsonProcessingException e) {
    if (e.getCause() instanceof MarkedYAMLException m && m.getProblem() != null) {
      return (m.getContext() == null ? "" : m.getContext() + ": ") + m.getProblem();
    }
    return e.getOriginalMessage().lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining(" "));
  }

  public static GatewayConfig fromYaml(String yaml, String source, Environment env) {
    JsonNode tree;
    try {
      tree = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ConfigException(source + ": not valid YAML" + where + ": " + oneLine(e));
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      tree = JsonNodeFactory.instance.objectNode();
    }
    if (!tree.isObject()) {
      throw new ConfigException(source + ": expected a YAML mapping at the top level (model_list, litellm_settings, ...), found " + ConfigNode.describe(tree));
    }
    Set<String> read = new HashSet<>();
    ConfigNode root = new ConfigNode("", tree, read);
    env.putAll(root.stringMap("environment_variables"));
    resolveEnvReferences(tree, "", env);
    return new GatewayConfig(root, read, env, source);
  }

  /** Replaces every {@code os.environ/NAME} string with the variable's value (null when unset). */
  private static void resolveEnvReferences(JsonNode node, String path, Environment env) {
    if (node instanceof ObjectNode obj) {
      for (Map.Entry<String, JsonNode> e : obj.properties()) {
        String childPath = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        JsonNode v = e.getValue();
        if (isEnvRef(v)) {
          obj.set(e.getKey(), resolved(v, childPath, env));
        } else {
          resolveEnvReferences(v, childPath, env);
        }
      }
    } else if (node instanceof ArrayNode arr) {
      for (int i = 0; i < arr.size(); i++) {
        if (isEnvRef(arr.get(i))) {
          arr.set(i, resolved(arr.get(i), path + "[" + i + "]", env));
        } else {
          resolveEnvReferences(arr.get(i), path + "[" + i + "]", env);
        }
      }
    }
  }

  private static boolean isEnvRef(JsonNode v) {
    return v.isTextual() && v.asText().startsWith(ENV_REF);
  }

  private static JsonNode resolved(JsonNode ref, String path, Environment env) {
    String name = ref.asText().substring(ENV_REF.length()).trim();
    return env.get(name).<JsonNode>map(JsonNodeFactory.instance::textNode).orElseGet(() -> {
      log.warn("{}: environment variable {} is not set", path, name);
      return JsonNodeFactory.instance.nullNode();
    });
  }
}
