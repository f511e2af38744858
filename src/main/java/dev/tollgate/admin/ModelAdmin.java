package dev.tollgate.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.auth.Principal;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.json.Json;
import dev.tollgate.limits.ModelAccess;
import dev.tollgate.observe.logs.Secrets;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Deployments;
import dev.tollgate.router.Router;
import dev.tollgate.server.GatewayVerticle;
import dev.tollgate.spend.Prices;
import dev.tollgate.store.ModelStore;
import java.sql.SQLException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@code /model/new|update|delete|info} and {@code /model_group/info}. Models added here are
 * stored (credentials sealed with LITELLM_SALT_KEY) when {@code store_model_in_db} is on, served
 * by this replica at once ({@code changed} swaps the router) and by the others on their next
 * refresh, or at once through Redis.
 */
public final class ModelAdmin {
  private static final Fields NEW = Fields.of("model_name", Fields.Type.STRING, "litellm_params", Fields.Type.OBJECT,
      "model_info", Fields.Type.OBJECT);
  private static final Fields UPDATE = NEW.plus("model_id", Fields.Type.STRING);

  private final ModelStore store;
  private final Router router;
  private final ModelAccess access;
  private final Prices prices;
  private final Environment env;
  private final boolean storeInDb;
  private final Clock clock;
  private final Consumer<String> changed;

  public ModelAdmin(ModelStore store, Router router, ModelAccess access, Prices prices, Environment env, boolean storeInDb, Clock clock,
      Consumer<String> changed) {
    this.changed = changed;
    this.store = store;
    this.router = router;
    this.access = access;
    this.prices = prices;
    this.env = env;
    this.storeInDb = storeInDb;
    this.clock = clock;
  }

  /** Deployments of stored models, as config.yaml entries would give them; models that cannot be opened are left out. */
  public static List<Deployment> deployments(List<ModelStore.StoredModel> models, Environment env) {
    ArrayNode list = Json.MAPPER.createArrayNode();
    for (ModelStore.StoredModel m : models) {
      if (m.litellmParams() != null) {
        list.add(entry(m));
      }
    }
    if (list.isEmpty()) {
      return List.of();
    }
    ObjectNode root = Json.object();
    root.set("model_list", list);
    List<Deployment> out = Deployments.fromConfig(ConfigLoader.fromYaml(root.toString(), "models stored in the database", env));
    out.forEach(d -> Secrets.register(d.apiKey())); // kept out of logs, as config.yaml's keys
    return out;
  }

  private static ObjectNode entry(ModelStore.StoredModel m) {
    ObjectNode e = Json.object().put("model_name", m.modelName());
    e.set("litellm_params", m.litellmParams());
    ObjectNode info = m.modelInfo().deepCopy().put("id", m.modelId()).put("db_model", true);
    e.set("model_info", info);
    return e;
  }

  void register(io.vertx.ext.web.Router web, GatewayVerticle.RouteSupport s, AdminRoutes admin) {
    admin.post(web, s, "/model/new", r -> save(NEW.check(r.body()), null));
    admin.post(web, s, "/model/update", r -> {
      ObjectNode body = UPDATE.check(r.body());
      String id = body.hasNonNull("model_id") ? body.get("model_id").asText() : body.path("model_info").path("id").asText(null);
      if (id == null) {
        throw Fields.bad("'model_id' (or model_info.id) is required", "model_id");
      }
      ModelStore.StoredModel old = store.all().stream().filter(m -> m.modelId().equals(id)).findFirst()
          .orElseThrow(() -> EntityAdmin.notFound("model", id + " (only models added through /model/new can be updated)"));
      if (old.litellmParams() == null) {
        throw new ApiException(ApiError.of(409, saltMessage(1)));
      }
      ObjectNode merged = Json.object().put("model_name", body.hasNonNull("model_name") ? body.get("model_name").asText() : old.modelName());
      ObjectNode params = old.litellmParams().deepCopy();
      if (body.has("litellm_params")) {
        params.setAll((ObjectNode) body.get("litellm_params"));
      }
      ObjectNode info = old.modelInfo().deepCopy();
      if (body.has("model_info")) {
        info.setAll((ObjectNode) body.get("model_info"));
      }
      merged.set("litellm_params", params);
      merged.set("model_info", info);
      return save(merged, id);
    });
    admin.post(web, s, "/model/delete", r -> {
      String id = EntityAdmin.text(Fields.of("id", Fields.Type.STRING).check(r.body()), "id");
      if (id == null || !store.delete(id)) {
        throw EntityAdmin.notFound("model", String.valueOf(id));
      }
      changed.accept(id);
      return Json.object().put("message", "Model deleted: " + id);
    });
    // any key may read these: it sees only the models it may call, and never a credential
    for (String path : List.of("/model/info", "/v1/model/info")) {
      admin.get(web, s, path, r -> info(r.caller()));
    }
    admin.get(web, s, "/model_group/info", r -> groups(r.caller()));
  }

  private JsonNode save(ObjectNode body, String existingId) throws SQLException {
    if (!storeInDb) {
      throw new ApiException(ApiError.badRequest("Set general_settings.store_model_in_db: true (or STORE_MODEL_IN_DB=True) to add models "
          + "through the API", null));
    }
    if (!body.hasNonNull("model_name") || !body.path("litellm_params").hasNonNull("model")) {
      throw Fields.bad("'model_name' and 'litellm_params.model' are required", body.hasNonNull("model_name") ? "litellm_params" : "model_name");
    }
    ObjectNode info = body.has("model_info") ? (ObjectNode) body.get("model_info") : Json.object();
    String id = existingId != null ? existingId : info.hasNonNull("id") ? info.get("id").asText() : UUID.randomUUID().toString();
    ModelStore.StoredModel m = new ModelStore.StoredModel(id, body.get("model_name").asText(), (ObjectNode) body.get("litellm_params"), info);
    try {
      deployments(List.of(m), env);
    } catch (ConfigException e) {
      throw new ApiException(ApiError.badRequest(e.getMessage().replace("model_list[0].", ""), "litellm_params"));
    }
    store.put(m, clock.millis());
    changed.accept(id);
    return modelView(entry(m), true);
  }

  private JsonNode info(Principal caller) throws SQLException {
    ArrayNode data = Json.MAPPER.createArrayNode();
    Map<String, Boolean> seen = new LinkedHashMap<>();
    for (Deployment d : router.deployments()) {
      seen.put(d.id(), true);
      if (!access.mayCall(caller, d.modelName())) {
        continue;
      }
      ObjectNode e = Json.object().put("model_name", d.modelName());
      e.set("litellm_params", d.litellmParams());
      e.set("model_info", d.modelInfo().deepCopy().put("id", d.id()));
      data.add(modelView(e, true));
    }
    List<ModelStore.StoredModel> stored = store.all();
    for (ModelStore.StoredModel m : stored) {
      if (!seen.containsKey(m.modelId()) && access.mayCall(caller, m.modelName())) {
        ObjectNode e = m.litellmParams() == null ? Json.object().put("model_name", m.modelName()) : entry(m);
        if (m.litellmParams() == null) {
          e.set("model_info", m.modelInfo().deepCopy().put("id", m.modelId()).put("error", saltMessage(1)));
        }
        data.add(modelView(e, false));
      }
    }
    ObjectNode out = Json.object();
    out.set("data", data);
    return out;
  }

  /** A model entry with its credentials hidden, marked active or not. */
  private ObjectNode modelView(ObjectNode entry, boolean active) {
    ObjectNode v = entry.deepCopy();
    if (v.has("litellm_params")) {
      v.set("litellm_params", Secrets.masked(v.get("litellm_params")));
    }
    ObjectNode info = v.has("model_info") ? (ObjectNode) v.get("model_info") : v.putObject("model_info");
    info.put("active", active);
    return v;
  }

  private JsonNode groups(Principal caller) {
    ArrayNode data = Json.MAPPER.createArrayNode();
    for (String name : router.modelNames()) {
      if (!access.mayCall(caller, name)) {
        continue;
      }
      List<Deployment> ds = router.group(name).orElse(List.of());
      ObjectNode g = Json.object().put("model_group", name);
      ArrayNode providers = g.putArray("providers");
      ds.stream().map(Deployment::providerName).distinct().forEach(providers::add);
      Deployment first = ds.get(0);
      Prices.Price p = prices.of(first);
      JsonNode entry = prices.entry(first.providerName(), first.upstreamModel());
      g.put("input_cost_per_token", p.input()).put("output_cost_per_token", p.output());
      g.put("max_output_tokens", p.maxOutputTokens() > 0 ? p.maxOutputTokens() : null);
      g.set("max_input_tokens", entry == null ? null : entry.get("max_input_tokens"));
      g.put("mode", entry == null ? "chat" : entry.path("mode").asText("chat"));
      data.add(g);
    }
    ObjectNode out = Json.object();
    out.set("data", data);
    return out;
  }

  public static String saltMessage(int count) {
    return count + " model(s) stored in the database cannot be decrypted: LITELLM_SALT_KEY is not the key they were stored with. "
        + "Restore the previous LITELLM_SALT_KEY (these models are not served until then).";
  }
}
