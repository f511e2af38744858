package dev.tollgate.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Environment variables as the gateway sees them: the process environment, overridden by
 * config.yaml's {@code environment_variables} (LiteLLM sets those into os.environ at start).
 */
public final class Environment {
  private final Map<String, String> process;
  private final Map<String, String> overrides = new HashMap<>();

  public Environment(Map<String, String> process) {
    this.process = Map.copyOf(process);
  }

  public static Environment system() {
    return new Environment(System.getenv());
  }

  public Optional<String> get(String name) {
    String v = overrides.containsKey(name) ? overrides.get(name) : process.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  public Optional<String> first(String... names) {
    for (String n : names) {
      Optional<String> v = get(n);
      if (v.isPresent()) {
        return v;
      }
    }
    return Optional.empty();
  }

  public boolean flag(String name) {
    return get(name).map(v -> v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes")).orElse(false);
  }

  void putAll(Map<String, String> values) {
    overrides.putAll(values);
  }
}
