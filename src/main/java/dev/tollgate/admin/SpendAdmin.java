package dev.tollgate.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.ApiKeys;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.router.Router;
import dev.tollgate.server.GatewayVerticle;
import dev.tollgate.spend.Prices;
import dev.tollgate.store.Entity;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.SpendStore;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /spend/logs}, {@code /global/spend/*} and {@code /spend/calculate}. */
public final class SpendAdmin {
  private final SpendStore store;
  private final Prices prices;
  private final Router router;
  private final double globalMaxBudget;

  public SpendAdmin(SpendStore store, Prices prices, Router router, double globalMaxBudget) {
    this.store = store;
    this.prices = prices;
    this.router = router;
    this.globalMaxBudget = globalMaxBudget;
  }

  void register(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport s, AdminRoutes admin) {
    admin.get(web, s, "/spend/logs", this::logs);
    admin.get(web, s, "/global/spend", r -> {
      double total = store.totals(Entity.KEY, true, false, null, null, 100_000).stream().mapToDouble(SpendStore.Total::spend).sum();
      return Json.object().put("spend", total).put("max_budget", globalMaxBudget);
    });
    admin.get(web, s, "/global/spend/keys", r -> totals(Entity.KEY, "api_key", r));
    admin.get(web, s, "/global/spend/teams", r -> {
      ObjectNode out = Json.object();
      ArrayNode per = totals(Entity.TEAM, "team_id", r);
      out.set("total_spend_per_team", per);
      out.set("teams", per);
      return out;
    });
    admin.get(web, s, "/global/spend/models", r -> {
      ArrayNode out = Json.MAPPER.createArrayNode();
      for (SpendStore.Total t : store.totals(Entity.KEY, true, false, day(r, "start_date"), day(r, "end_date"), AdminRoutes.intParam(r, "limit", 100))) {
        out.add(Json.object().put("model", t.model()).put("total_spend", t.spend()).put("total_tokens", t.promptTokens() + t.completionTokens())
            .put("api_requests", t.requests()));
      }
      return out;
    });
    for (String path : List.of("/global/spend/end_users", "/global/spend/customers")) {
      admin.get(web, s, path, r -> totals(Entity.CUSTOMER, "end_user", r));
      admin.post(web, s, path, r -> totals(Entity.CUSTOMER, "end_user", r));
    }
    admin.get(web, s, "/global/spend/report", this::report);
    admin.post(web, s, "/spend/calculate", this::calculate);
  }

  private JsonNode logs(AdminRoutes.Req r) throws Exception {
    String key = r.param("api_key");
    if (key != null && key.startsWith("sk-")) {
      key = ApiKeys.sha256Hex(key);
    }
    int page = AdminRoutes.intParam(r, "page", 1);
    int size = Math.min(AdminRoutes.intParam(r, "page_size", 100), 1000);
    Long start = time(r, "start_date", false);
    Long end = time(r, "end_date", true);
    List<SpendRow> rows = store.logs(new SpendStore.LogFilter(key, r.scope().user(r.param("user_id")), r.param("team_id"), r.param("request_id"), start, end),
        (page - 1) * size, size);
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (SpendRow row : rows) {
      ObjectNode o = Json.object().put("request_id", row.requestId()).put("call_type", row.callType()).put("api_key", row.apiKey())
          .put("spend", row.spend()).put("total_tokens", row.totalTokens()).put("prompt_tokens", row.promptTokens())
          .put("completion_tokens", row.completionTokens()).put("startTime", Instant.ofEpochMilli(row.startTime()).toString())
          .put("endTime", Instant.ofEpochMilli(row.endTime()).toString()).put("model", row.model()).put("model_id", row.modelId())
          .put("model_group", row.modelGroup()).put("custom_llm_provider", row.provider()).put("api_base", row.apiBase())
          .put("user", row.userId()).put("team_id", row.teamId()).put("end_user", row.endUser()).put("status", row.status())
          .put("cache_hit", Boolean.toString(row.cacheHit()));
      o.set("metadata", row.metadata() == null ? Json.object() : Json.tryParse(io.vertx.core.buffer.Buffer.buffer(row.metadata())));
      out.add(o);
    }
    return out;
  }

  private ArrayNode totals(String kind, String idField, AdminRoutes.Req r) throws Exception {
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (SpendStore.Total t : store.totals(kind, false, false, day(r, "start_date"), day(r, "end_date"), AdminRoutes.intParam(r, "limit", 100))) {
      out.add(Json.object().put(idField, t.id()).put("total_spend", t.spend()).put("total_count", t.requests())
          .put("total_tokens", t.promptTokens() + t.completionTokens()));
    }
    return out;
  }

  /** Spend per day, broken down by team ({@code group_by=team}, the default), end user or key. */
  private JsonNode report(AdminRoutes.Req r) throws Exception {
    String groupBy = r.param("group_by") == null ? "team" : r.param("group_by");
    String kind = switch (groupBy) {
      case "team" -> Entity.TEAM;
      case "customer", "end_user" -> Entity.CUSTOMER;
      case "api_key" -> Entity.KEY;
      default -> throw Fields.bad("group_by: expected team, customer or api_key", "group_by");
    };
    String list = kind.equals(Entity.TEAM) ? "teams" : kind.equals(Entity.KEY) ? "api_keys" : "customers";
    Map<String, ObjectNode> days = new LinkedHashMap<>();
    for (SpendStore.Total t : store.totals(kind, false, true, day(r, "start_date"), day(r, "end_date"), 100_000)) {
      ObjectNode d = days.computeIfAbsent(t.day(), x -> {
        ObjectNode o = Json.object().put("group_by_day", x).put("total_spend", 0.0);
        o.putArray(list);
        return o;
      });
      ((ArrayNode) d.get(list)).add(Json.object().put(kind.equals(Entity.TEAM) ? "team_name" : kind.equals(Entity.KEY) ? "api_key" : "customer", t.id())
          .put("total_spend", t.spend()));
      d.put("total_spend", d.get("total_spend").asDouble() + t.spend());
    }
    ArrayNode out = Json.MAPPER.createArrayNode();
    days.values().forEach(out::add);
    return out;
  }

  /** The cost a request or a response would have: {@code {model, messages}} or {@code {completion_response}}. */
  private JsonNode calculate(AdminRoutes.Req r) {
    ObjectNode body = r.body();
    JsonNode response = body.get("completion_response");
    String model = body.hasNonNull("model") ? body.get("model").asText() : response == null ? null : response.path("model").asText(null);
    if (model == null) {
      throw Fields.bad("'model' (or 'completion_response' with a model) is required", "model");
    }
    Deployment d = router.group(model).flatMap(g -> g.stream().findFirst()).orElse(null);
    Usage usage = response == null ? null : Usage.of(response);
    if (usage == null) {
      usage = new Usage(TokenEstimate.ofRequest(body), 0, 0, 0, 0);
    }
    double cost;
    if (d != null) {
      cost = prices.cost(d, usage);
    } else {
      JsonNode entry = prices.entry("", model);
      if (entry == null) {
        throw new ApiException(ApiError.badRequest("No price known for model " + model, "model"));
      }
      cost = usage.promptTokens() * entry.path("input_cost_per_token").asDouble() + usage.completionTokens() * entry.path("output_cost_per_token").asDouble();
    }
    return Json.object().put("cost", cost);
  }

  private static String day(AdminRoutes.Req r, String name) {
    String v = r.param(name);
    return v == null ? null : Instant.ofEpochMilli(Fields.parseTime(name, v)).atOffset(ZoneOffset.UTC).toLocalDate().toString();
  }

  /** A date filter as epoch ms; a bare end date includes that whole day. */
  private static Long time(AdminRoutes.Req r, String name, boolean endOfDay) {
    String v = r.param(name);
    if (v == null) {
      return null;
    }
    long t = Fields.parseTime(name, v);
    if (endOfDay && v.length() == 10) {
      t = LocalDate.parse(v).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }
    return t;
  }
}
