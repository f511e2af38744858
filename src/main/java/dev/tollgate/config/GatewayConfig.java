package dev.tollgate.config;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A loaded config.yaml: typed views of its sections for the parts of the gateway that read them,
 * and the list of settings nobody read (reported once at start as ignored).
 */
public final class GatewayConfig {
  /** Sections whose keys are reported one by one when not implemented. */
  private static final List<String> SETTING_SECTIONS =
      List.of("general_settings", "litellm_settings", "router_settings");

  private final ConfigNode root;
  private final Set<String> readPaths;
  /** Values read but not acted on (a callback Tollgate has no integration for, ...), as "path: value". */
  private final List<String> ignoredValues = new ArrayList<>();
  private final Environment env;
  private final String source;

  GatewayConfig(ConfigNode root, Set<String> readPaths, Environment env, String source) {
    this.root = root;
    this.readPaths = readPaths;
    this.env = env;
    this.source = source;
  }

  /** A config with no models and no settings: what the gateway runs on without --config. */
  public static GatewayConfig empty(Environment env) {
    return ConfigLoader.fromYaml("{}", "(no config)", env);
  }

  public String source() {
    return source;
  }

  public Environment env() {
    return env;
  }

  public List<ConfigNode> modelList() {
    return root.list("model_list");
  }

  public ConfigNode generalSettings() {
    return root.section("general_settings");
  }

  public ConfigNode litellmSettings() {
    return root.section("litellm_settings");
  }

  /** A command-line flag that stands for a litellm_settings value ({@code --drop_params}): it wins over the file. */
  public void setLitellmSetting(String name, boolean value) {
    ((com.fasterxml.jackson.databind.node.ObjectNode) root.raw()).withObjectProperty("litellm_settings").put(name, value);
  }

  public ConfigNode routerSettings() {
    return root.section("router_settings");
  }

  public ConfigNode section(String name) {
    return root.section(name);
  }

  /** A value a part of the gateway read and cannot act on: reported with the ignored settings. */
  public void ignoreValue(String path, String value) {
    ignoredValues.add(path + ": " + value);
  }

  /**
   * Settings present in the file that no part of the gateway read, and values read but ignored: top-level sections, keys of
   * the settings sections, and keys of each deployment's litellm_params.
   */
  public List<String> ignoredSettings() {
    List<String> ignored = new ArrayList<>(ignoredValues);
    var raw = root.raw();
    for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = raw.fields(); it.hasNext(); ) {
      var e = it.next();
      String top = e.getKey();
      if (!readPaths.contains(top)) {
        ignored.add(top);
        continue;
      }
      if (SETTING_SECTIONS.contains(top) && e.getValue().isObject()) {
        e.getValue().fields().forEachRemaining(setting -> {
          String path = top + "." + setting.getKey();
          if (!readPaths.contains(path)) {
            ignored.add(path);
          } else if (setting.getValue().isObject() && readKeyByKey(path)) {
            // a mapping such as cache_params: its keys that no one read (ssl: true, ...)
            setting.getValue().fieldNames().forEachRemaining(k -> {
              if (!readPaths.contains(path + "." + k)) {
                ignored.add(path + "." + k);
              }
            });
          }
        });
      }
    }
    var models = raw.get("model_list");
    if (models != null && models.isArray()) {
      for (int i = 0; i < models.size(); i++) {
        String base = "model_list[" + i + "].litellm_params";
        var params = models.get(i).get("litellm_params");
        if (params != null && params.isObject()) {
          params.fieldNames().forEachRemaining(k -> {
            if (!readPaths.contains(base + "." + k)) {
              ignored.add(base + "." + k);
            }
          });
        }
      }
    }
    return ignored;
  }

  /** Whether a mapping was read key by key (then a key not read is ignored), not taken whole. */
  private boolean readKeyByKey(String path) {
    String prefix = path + ".";
    return readPaths.stream().anyMatch(p -> p.startsWith(prefix));
  }
}
