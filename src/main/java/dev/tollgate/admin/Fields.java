package dev.tollgate.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.keys.BudgetPeriods;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fields an admin endpoint accepts and their types: unknown fields, wrong types, negative
 * budgets and bad durations are refused with a 400 naming the field.
 */
final class Fields {
  enum Type { STRING, NUMBER, COUNT, BOOL, DURATION, STRINGS, OBJECT, COUNTS, BUDGETS, TIME, ANY }

  private final Map<String, Type> types = new LinkedHashMap<>();

  static Fields of(Object... pairs) {
    Fields f = new Fields();
    for (int i = 0; i < pairs.length; i += 2) {
      f.types.put((String) pairs[i], (Type) pairs[i + 1]);
    }
    return f;
  }

  Fields plus(Object... pairs) {
    Fields f = new Fields();
    f.types.putAll(types);
    f.types.putAll(of(pairs).types);
    return f;
  }

  Fields minus(String... names) {
    Fields f = new Fields();
    f.types.putAll(types);
    for (String n : names) {
      f.types.remove(n);
    }
    return f;
  }

  /** Checks a request body; returns it (nulls removed) or throws a 400. */
  ObjectNode check(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw bad("Request body must be a JSON object", null);
    }
    ObjectNode out = ((ObjectNode) body).deepCopy();
    for (Iterator<Map.Entry<String, JsonNode>> it = out.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      Type t = types.get(name);
      if (t == null) {
        throw bad("Unknown field '" + name + "'. Accepted fields: " + String.join(", ", types.keySet()), name);
      }
      if (e.getValue().isNull()) {
        continue;
      }
      check(name, t, e.getValue());
    }
    return out;
  }

  private static void check(String name, Type t, JsonNode v) {
    switch (t) {
      case STRING -> require(v.isTextual(), name, "a string");
      case NUMBER -> require(v.isNumber() && v.asDouble() >= 0, name, "a number >= 0");
      case COUNT -> require(v.isIntegralNumber() && v.asLong() >= 0, name, "a whole number >= 0");
      case BOOL -> require(v.isBoolean(), name, "true or false");
      case DURATION -> {
        require(v.isTextual(), name, "a duration such as 30s, 30m, 30h, 30d");
        try {
          BudgetPeriods.parse(v.asText());
        } catch (IllegalArgumentException e) {
          throw bad(name + ": " + e.getMessage(), name);
        }
      }
      case STRINGS -> {
        require(v.isArray(), name, "a list of strings");
        v.forEach(x -> require(x.isTextual(), name, "a list of strings"));
      }
      case OBJECT -> require(v.isObject(), name, "an object");
      case COUNTS -> {
        require(v.isObject(), name, "an object of model name to a whole number >= 0");
        v.forEach(x -> require(x.isIntegralNumber() && x.asLong() >= 0, name, "an object of model name to a whole number >= 0"));
      }
      case BUDGETS -> {
        require(v.isObject(), name, "an object of model name to {budget_limit, time_period}");
        v.fields().forEachRemaining(m -> {
          JsonNode limit = m.getValue().get("budget_limit");
          require(m.getValue().isObject() && limit != null && (limit.isNumber() || limit.isTextual()), name + "." + m.getKey(),
              "{budget_limit: a number >= 0, time_period: a duration}");
          double d;
          try {
            d = limit.isNumber() ? limit.asDouble() : Double.parseDouble(limit.asText());
          } catch (NumberFormatException e) {
            d = -1;
          }
          require(d >= 0, name + "." + m.getKey() + ".budget_limit", "a number >= 0");
          if (m.getValue().hasNonNull("time_period")) {
            check(name + "." + m.getKey() + ".time_period", Type.DURATION, m.getValue().get("time_period"));
          }
        });
      }
      case TIME -> {
        require(v.isTextual(), name, "an ISO-8601 time such as 2030-01-01T00:00:00Z");
        parseTime(name, v.asText());
      }
      case ANY -> { }
    }
  }

  static long parseTime(String name, String text) {
    try {
      return Instant.parse(text).toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        return java.time.LocalDateTime.parse(text).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
      } catch (DateTimeParseException e2) {
        try {
          return java.time.LocalDate.parse(text).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e3) {
          throw bad(name + ": \"" + text + "\" is not an ISO-8601 time (e.g. 2030-01-01T00:00:00Z or 2030-01-01)", name);
        }
      }
    }
  }

  private static void require(boolean ok, String name, String expected) {
    if (!ok) {
      throw bad("Invalid value for '" + name + "': expected " + expected, name);
    }
  }

  static ApiException bad(String message, String param) {
    return new ApiException(ApiError.badRequest(message, param));
  }
}
