package dev.tollgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.auth.ApiKeys;
import dev.tollgate.json.Json;
import dev.tollgate.testing.FakeUpstream;
import dev.tollgate.testing.TestDatabase;
import dev.tollgate.testing.TestDatabase.Backend;
import dev.tollgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * LiteLLM's user roles on the admin API, end to end: what each role may do, over whose data, and
 * the attempts of an internal user to reach beyond its own keys.
 */
class UserRolesTest {
  static final String CHAT = "{\"model\":\"priced\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  FakeUpstream upstream;
  TestDatabase db;
  TestGateway gw;
  /** A key of each role's user (user ids: admin, viewer, alice, bob, ivy, nobody), and the master key. */
  final Map<String, String> keys = new LinkedHashMap<>();

  @BeforeEach
  void upstream() {
    upstream = FakeUpstream.start().onPost("/v1/chat/completions", rc -> rc.response().putHeader("content-type", "application/json")
        .end("{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":10,\"total_tokens\":20}}"));
  }

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
    if (db != null) {
      db.close();
    }
    upstream.close();
  }

  /**
   * A gateway with a user of each role (alice, an internal user with max_budget 10 and rpm_limit
   * 100, in team t-alice; bob, another internal user, with a key aliased bob-key, in team t-bob),
   * and a call of alice and of bob in the spend logs.
   */
  void start(Backend backend) throws Exception {
    db = TestDatabase.create(backend);
    gw = TestGateway.start("""
        model_list:
          - model_name: priced
            litellm_params: {model: openai/m, api_base: %1$s/v1, api_key: up}
            model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}
          - model_name: other
            litellm_params: {model: openai/m, api_base: %1$s/v1, api_key: up}
        general_settings:
          proxy_batch_write_at: 0.1
        """.formatted(upstream.url()), db.env());
    keys.put("master", TestGateway.MASTER_KEY);
    keys.put("proxy_admin", newUser("{\"user_id\":\"admin\",\"user_role\":\"proxy_admin\"}"));
    keys.put("proxy_admin_viewer", newUser("{\"user_id\":\"viewer\",\"user_role\":\"proxy_admin_viewer\"}"));
    keys.put("internal_user", newUser("{\"user_id\":\"alice\",\"user_role\":\"internal_user\",\"max_budget\":10,\"rpm_limit\":100}"));
    keys.put("internal_user_viewer", newUser("{\"user_id\":\"ivy\",\"user_role\":\"internal_user_viewer\"}"));
    keys.put("no role", newUser("{\"user_id\":\"nobody\"}"));
    String bob = newUser("{\"user_id\":\"bob\",\"user_role\":\"internal_user\"}");
    ok(gw.post("/team/new", "{\"team_id\":\"t-alice\",\"members_with_roles\":[{\"role\":\"user\",\"user_id\":\"alice\"}]}"));
    ok(gw.post("/team/new", "{\"team_id\":\"t-bob\",\"members_with_roles\":[{\"role\":\"user\",\"user_id\":\"bob\"}]}"));
    ok(gw.post("/key/generate", "{\"user_id\":\"bob\",\"team_id\":\"t-bob\",\"key_alias\":\"bob-key\"}"));
    ok(gw.post("/v1/chat/completions", CHAT, keys.get("internal_user")));
    ok(gw.post("/v1/chat/completions", CHAT, bob));
    long deadline = System.currentTimeMillis() + 10_000;
    while (db.scalar("SELECT COUNT(*) FROM tg_spend_log") < 2 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(db.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(2);
  }

  String newUser(String body) {
    return ok(gw.post("/user/new", body)).get("key").asText();
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return Json.MAPPER.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + r.body());
    }
  }

  static JsonNode ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json(r);
  }

  /** A 403 in OpenAI's shape, with a message naming the role it needs. */
  static void refused(HttpResponse<String> r, String neededRole) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    JsonNode error = json(r).get("error");
    assertThat(error.get("type").asText()).isEqualTo("permission_error");
    assertThat(error.get("code").asText()).isEqualTo("403");
    assertThat(error.get("message").asText()).contains(neededRole);
  }

  static String hash(String key) {
    return ApiKeys.sha256Hex(key);
  }

  /** Hashes of the keys a /key/list answer names. */
  static List<String> listed(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.get("keys").forEach(k -> out.add(k.asText()));
    return out;
  }

  // --- which roles may call which routes ---

  record Call(String method, String path, String body, Set<String> allowed) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  static final Set<String> ADMINS = Set.of("master", "proxy_admin");
  static final Set<String> READERS = Set.of("master", "proxy_admin", "proxy_admin_viewer");
  static final Set<String> OWN_READERS = Set.of("master", "proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer");
  static final Set<String> OWN_WRITERS = Set.of("master", "proxy_admin", "internal_user");
  static final Set<String> ANY = Set.of("master", "proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer", "no role");

  /**
   * The table of the README: each route with the roles that get past the role check. Bodies name
   * things that do not exist or are invalid, so that a caller who gets in gets a 400 or 404 and
   * changes nothing; a caller who does not gets a 403 naming the role it needs.
   */
  static final List<Call> CALLS = List.of(
      new Call("POST", "/key/generate", "{\"max_budget\":-1}", OWN_WRITERS),
      new Call("POST", "/key/update", "{\"key\":\"sk-none\"}", OWN_WRITERS),
      new Call("POST", "/key/delete", "{\"keys\":[\"sk-none\"]}", OWN_WRITERS),
      new Call("POST", "/key/regenerate", "{\"key\":\"sk-none\"}", OWN_WRITERS),
      new Call("POST", "/key/sk-none/regenerate", "{}", OWN_WRITERS),
      new Call("POST", "/key/block", "{\"key\":\"sk-none\"}", ADMINS),
      new Call("POST", "/key/unblock", "{\"key\":\"sk-none\"}", ADMINS),
      new Call("GET", "/key/info?key=sk-none", null, ANY),
      new Call("GET", "/key/list", null, OWN_READERS),
      new Call("GET", "/user/info?user_id=nope", null, READERS),
      new Call("GET", "/user/list", null, READERS),
      new Call("POST", "/user/new", "{\"max_budget\":-1}", ADMINS),
      new Call("POST", "/user/update", "{\"user_id\":\"nope\"}", ADMINS),
      new Call("POST", "/user/delete", "{\"user_ids\":[\"nope\"]}", ADMINS),
      new Call("GET", "/team/info?team_id=nope", null, READERS),
      new Call("GET", "/team/list", null, READERS),
      new Call("POST", "/team/new", "{\"max_budget\":-1}", ADMINS),
      new Call("POST", "/team/update", "{\"team_id\":\"nope\"}", ADMINS),
      new Call("POST", "/team/member_add", "{\"team_id\":\"nope\",\"member\":{\"user_id\":\"x\"}}", ADMINS),
      new Call("POST", "/team/block", "{\"team_id\":\"nope\"}", ADMINS),
      new Call("GET", "/customer/list", null, READERS),
      new Call("POST", "/customer/new", "{\"max_budget\":-1}", ADMINS),
      new Call("GET", "/budget/list", null, READERS),
      new Call("POST", "/budget/new", "{\"max_budget\":-1}", ADMINS),
      new Call("GET", "/spend/logs", null, OWN_READERS),
      new Call("GET", "/global/spend", null, READERS),
      new Call("GET", "/global/spend/keys", null, READERS),
      new Call("GET", "/global/spend/report", null, READERS),
      new Call("POST", "/spend/calculate", "{\"model\":\"priced\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", READERS),
      new Call("GET", "/model/info", null, ANY),
      new Call("GET", "/model_group/info", null, ANY),
      new Call("POST", "/model/new", "{}", ADMINS));

  @Test
  void eachRoleGetsPastTheRoleCheckOfExactlyItsRoutes() throws Exception {
    start(Backend.SQLITE);
    for (Call call : CALLS) {
      for (Map.Entry<String, String> role : keys.entrySet()) {
        HttpResponse<String> r = call.method().equals("GET") ? gw.get(call.path(), role.getValue())
            : gw.post(call.path(), call.body(), role.getValue());
        if (call.allowed().contains(role.getKey())) {
          assertThat(r.statusCode()).as(role.getKey() + " may call " + call + ": " + r.body()).isIn(200, 400, 404);
        } else {
          assertThat(r.statusCode()).as(role.getKey() + " may not call " + call + ": " + r.body()).isEqualTo(403);
          assertThat(json(r).at("/error/type").asText()).isEqualTo("permission_error");
          assertThat(json(r).at("/error/message").asText()).as(call + " names the roles it needs")
              .contains("needs").contains(call.allowed().contains("proxy_admin_viewer") ? "proxy_admin_viewer" : "proxy_admin")
              .contains(role.getKey().equals("no role") ? "this key has no role" : "this key's role is " + role.getKey());
        }
      }
    }
    // the request path is the same for every role
    for (Map.Entry<String, String> role : keys.entrySet()) {
      assertThat(gw.post("/v1/chat/completions", CHAT, role.getValue()).statusCode()).as(role.getKey()).isEqualTo(200);
    }
  }

  // --- internal_user ---

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anInternalUserCreatesListsUpdatesRegeneratesAndDeletesItsOwnKeys(Backend backend) throws Exception {
    start(backend);
    String alice = keys.get("internal_user");
    JsonNode made = ok(gw.post("/key/generate", "{\"key_alias\":\"alice-ci\",\"max_budget\":5,\"team_id\":\"t-alice\"}", alice));
    assertThat(made.get("user_id").asText()).as("owned by the caller's user").isEqualTo("alice");
    String ci = made.get("key").asText();
    assertThat(ok(gw.post("/key/generate", "{\"user_id\":\"alice\"}", alice)).get("user_id").asText()).isEqualTo("alice");
    assertThat(gw.post("/v1/chat/completions", CHAT, ci).statusCode()).as("the new key calls models").isEqualTo(200);

    JsonNode list = ok(gw.get("/key/list?return_full_object=true", alice));
    assertThat(list.get("keys").findValuesAsText("user_id")).as("only alice's keys").hasSize(3).containsOnly("alice");
    assertThat(list.get("total_count").asInt()).isEqualTo(3);
    assertThat(listed(ok(gw.get("/key/list?key_alias=alice-ci", alice)))).containsExactly(hash(ci));
    assertThat(ok(gw.get("/key/info?key=" + hash(ci), alice)).at("/info/key_alias").asText()).isEqualTo("alice-ci");

    JsonNode renamed = ok(gw.post("/key/update", "{\"key\":\"" + hash(ci) + "\",\"key_alias\":\"alice-ci-2\",\"tags\":[\"ci\"],"
        + "\"metadata\":{\"owner\":\"ci\"}}", alice));
    assertThat(renamed.get("key_alias").asText()).isEqualTo("alice-ci-2");
    assertThat(renamed.get("max_budget").asDouble()).as("its limits are kept").isEqualTo(5.0);
    String rotated = ok(gw.post("/key/regenerate", "{\"key\":\"" + ci + "\"}", alice)).get("key").asText();
    assertThat(gw.post("/v1/chat/completions", CHAT, rotated).statusCode()).isEqualTo(200);
    assertThat(gw.post("/v1/chat/completions", CHAT, ci).statusCode()).isEqualTo(401);
    ok(gw.post("/key/delete", "{\"key_aliases\":[\"alice-ci-2\"]}", alice));
    assertThat(gw.post("/v1/chat/completions", CHAT, rotated).statusCode()).isEqualTo(401);

    JsonNode me = ok(gw.get("/user/info", alice));
    assertThat(me.get("user_id").asText()).isEqualTo("alice");
    assertThat(me.get("keys").findValuesAsText("user_id")).containsOnly("alice");
    assertThat(ok(gw.get("/user/info?user_id=alice", alice)).get("user_id").asText()).isEqualTo("alice");
    JsonNode logs = ok(gw.get("/spend/logs", alice));
    assertThat(logs.findValuesAsText("user")).as("only alice's calls").isNotEmpty().containsOnly("alice");
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void anInternalUserCannotReachAnotherUsersKeysDataOrLimits(Backend backend) throws Exception {
    start(backend);
    String alice = keys.get("internal_user");
    String bobKeyHash = ok(gw.get("/key/list?key_alias=bob-key")).get("keys").get(0).asText();
    assertThat(ok(gw.post("/key/generate", "{}", alice)).get("user_id").asText()).as("may generate for itself").isEqualTo("alice");

    // a key for another user, or in a team it is not in
    refused(gw.post("/key/generate", "{\"user_id\":\"bob\"}", alice), "proxy_admin");
    refused(gw.post("/key/generate", "{\"team_id\":\"t-bob\"}", alice), "proxy_admin");
    refused(gw.post("/key/generate", "{\"team_id\":\"no-such-team\"}", alice), "proxy_admin");
    assertThat(ok(gw.get("/key/list?user_id=bob")).get("total_count").asInt()).as("no key was made for bob").isEqualTo(2);

    // another user's key, by hash or alias
    refused(gw.get("/key/info?key=" + bobKeyHash, alice), "proxy_admin");
    assertThat(listed(ok(gw.get("/key/list?key_alias=bob-key", alice)))).isEmpty();
    refused(gw.post("/key/update", "{\"key\":\"" + bobKeyHash + "\",\"max_budget\":1}", alice), "proxy_admin");
    refused(gw.post("/key/regenerate", "{\"key\":\"" + bobKeyHash + "\"}", alice), "proxy_admin");
    refused(gw.post("/key/" + bobKeyHash + "/regenerate", "{}", alice), "proxy_admin");
    refused(gw.post("/key/delete", "{\"keys\":[\"" + bobKeyHash + "\"]}", alice), "proxy_admin");
    refused(gw.post("/key/delete", "{\"key_aliases\":[\"bob-key\"]}", alice), "proxy_admin");
    assertThat(ok(gw.get("/key/info?key=" + bobKeyHash)).at("/info/key_alias").asText()).as("bob's key is untouched").isEqualTo("bob-key");
    assertThat(ok(gw.get("/key/info?key=" + bobKeyHash)).at("/info/max_budget").isMissingNode()).isTrue();

    // all keys, or another user's data
    assertThat(ok(gw.get("/key/list?return_full_object=true", alice)).get("keys").findValuesAsText("user_id")).containsOnly("alice");
    assertThat(ok(gw.get("/key/list?team_id=t-bob", alice)).get("total_count").asInt()).isZero();
    refused(gw.get("/key/list?user_id=bob", alice), "proxy_admin_viewer");
    refused(gw.get("/user/info?user_id=bob", alice), "proxy_admin_viewer");
    refused(gw.post("/user/info", "{\"user_id\":\"bob\"}", alice), "proxy_admin_viewer");
    refused(gw.get("/spend/logs?user_id=bob", alice), "proxy_admin_viewer");
    assertThat(ok(gw.get("/spend/logs?api_key=" + bobKeyHash, alice))).as("bob's calls by his key").isEmpty();
    assertThat(ok(gw.get("/spend/logs?team_id=t-bob", alice))).isEmpty();

    // its own key above its user's limits, to another user, or unblocked
    String own = hash(alice);
    refused(gw.post("/key/update", "{\"key\":\"" + own + "\",\"max_budget\":10.5}", alice), "proxy_admin");
    assertThat(json(gw.post("/key/update", "{\"key\":\"" + own + "\",\"max_budget\":11}", alice)).at("/error/param").asText())
        .isEqualTo("max_budget");
    refused(gw.post("/key/generate", "{\"rpm_limit\":1000}", alice), "proxy_admin");
    refused(gw.post("/key/regenerate", "{\"key\":\"" + own + "\",\"max_budget\":100}", alice), "proxy_admin");
    refused(gw.post("/key/update", "{\"key\":\"" + own + "\",\"user_id\":\"bob\"}", alice), "proxy_admin");
    refused(gw.post("/key/update", "{\"key\":\"" + own + "\",\"team_id\":\"t-bob\"}", alice), "proxy_admin");
    refused(gw.post("/key/update", "{\"key\":\"" + own + "\",\"blocked\":false}", alice), "proxy_admin");
    assertThat(ok(gw.get("/key/info", alice)).at("/info/max_budget").isMissingNode()).as("nothing changed").isTrue();
    assertThat(ok(gw.post("/key/generate", "{\"max_budget\":10,\"rpm_limit\":100}", alice)).get("rpm_limit").asInt())
        .as("a new key with limits equal to the user's is fine").isEqualTo(100);
  }

  /**
   * An admin restricted alice's own key (team, budget, models, rate limit): she may rename and
   * label it, but not lift, loosen, tighten or clear any of that, not even by setting a field to
   * null or to an empty list, and the key keeps calling only what it was allowed.
   */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void anInternalUserChangesOnlyTheNameAndLabelsOfItsOwnKey(Backend backend) throws Exception {
    start(backend);
    String alice = keys.get("internal_user");
    String own = hash(alice);
    ok(gw.post("/team/update", "{\"team_id\":\"t-alice\",\"models\":[\"priced\"]}"));
    ok(gw.post("/key/update", "{\"key\":\"" + own + "\",\"team_id\":\"t-alice\",\"max_budget\":1,\"models\":[\"priced\"],"
        + "\"tpm_limit\":1000}"));
    assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "other"), alice).statusCode()).isEqualTo(401);

    // the QA report: one body clearing the team and every limit
    HttpResponse<String> strip = gw.post("/key/update", "{\"key\":\"" + own + "\",\"team_id\":null,\"max_budget\":null,\"models\":[],"
        + "\"tpm_limit\":null}", alice);
    refused(strip, "proxy_admin");
    assertThat(json(strip).at("/error/param").asText()).isEqualTo("team_id");
    assertThat(json(strip).at("/error/message").asText()).contains("team_id").contains("key_alias, metadata, tags");
    Map<String, String> attempts = new LinkedHashMap<>();
    attempts.put("team_id", "null");
    attempts.put("user_id", "\"alice\"");
    attempts.put("models", "[]");
    attempts.put("max_budget", "null");
    attempts.put("soft_budget", "0.5");
    attempts.put("budget_duration", "\"1d\"");
    attempts.put("budget_id", "null");
    attempts.put("model_max_budget", "{}");
    attempts.put("tpm_limit", "null");
    attempts.put("rpm_limit", "5");
    attempts.put("model_rpm_limit", "{}");
    attempts.put("model_tpm_limit", "null");
    attempts.put("max_parallel_requests", "null");
    attempts.put("allowed_routes", "[]");
    attempts.put("aliases", "{}");
    attempts.put("blocked", "false");
    attempts.put("duration", "null");
    attempts.put("expires", "null");
    attempts.put("permissions", "{}");
    attempts.put("guardrails", "[]");
    attempts.put("config", "{}");
    for (Map.Entry<String, String> a : attempts.entrySet()) {
      HttpResponse<String> r = gw.post("/key/update", "{\"key\":\"" + own + "\",\"" + a.getKey() + "\":" + a.getValue() + "}", alice);
      refused(r, "proxy_admin");
      assertThat(json(r).at("/error/param").asText()).as(a.getKey()).isEqualTo(a.getKey());
      assertThat(json(r).at("/error/message").asText()).as(a.getKey()).contains(a.getKey());
    }
    refused(gw.post("/key/regenerate", "{\"key\":\"" + own + "\",\"models\":[]}", alice), "proxy_admin");

    JsonNode info = ok(gw.get("/key/info", alice)).get("info");
    assertThat(info.get("team_id").asText()).as("nothing changed").isEqualTo("t-alice");
    assertThat(info.get("max_budget").asDouble()).isEqualTo(1.0);
    assertThat(info.get("tpm_limit").asInt()).isEqualTo(1000);
    assertThat(info.get("models").get(0).asText()).isEqualTo("priced");
    assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "other"), alice).statusCode()).isEqualTo(401);
    assertThat(gw.post("/v1/chat/completions", CHAT, alice).statusCode()).isEqualTo(200);

    JsonNode labelled = ok(gw.post("/key/update", "{\"key\":\"" + own + "\",\"key_alias\":\"alice-main\",\"metadata\":{\"env\":\"dev\"},"
        + "\"tags\":[\"dev\"]}", alice));
    assertThat(labelled.get("key_alias").asText()).isEqualTo("alice-main");
    assertThat(labelled.get("team_id").asText()).isEqualTo("t-alice");
    // the admin still changes anything
    ok(gw.post("/key/update", "{\"key\":\"" + own + "\",\"max_budget\":2}"));
    assertThat(ok(gw.get("/key/info", alice)).at("/info/max_budget").asDouble()).isEqualTo(2.0);
  }

  /**
   * Alice may call only "priced" (her user's models): a key's aliases cannot send her to "other". She
   * may not set aliases at all; and an alias an admin set renames a model, it never widens what her
   * user or team may call.
   */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void aKeysAliasesNeverReachAModelItsUserOrTeamMayNotCall(Backend backend) throws Exception {
    start(backend);
    String alice = keys.get("internal_user");
    ok(gw.post("/user/update", "{\"user_id\":\"alice\",\"models\":[\"priced\"]}"));
    assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "other"), alice).statusCode()).isEqualTo(401);

    // the QA report: an internal user's own key renaming its allowed model to a refused one
    HttpResponse<String> own = gw.post("/key/generate", "{\"models\":[\"priced\"],\"aliases\":{\"priced\":\"other\"}}", alice);
    refused(own, "proxy_admin");
    assertThat(json(own).at("/error/param").asText()).isEqualTo("aliases");
    assertThat(listed(ok(gw.get("/key/list?user_id=alice")))).as("no key was made").hasSize(1);

    // the same aliases set by an admin: the target is still checked against the user's models
    String renamed = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"models\":[\"priced\"],\"aliases\":{\"priced\":\"other\"}}"))
        .get("key").asText();
    HttpResponse<String> viaAlias = gw.post("/v1/chat/completions", CHAT, renamed);
    assertThat(viaAlias.statusCode()).as(viaAlias.body()).isEqualTo(401);
    assertThat(json(viaAlias).at("/error/message").asText()).contains("User alice").contains("Tried to access other");
    String freeTier = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"models\":[\"free\"],\"aliases\":{\"free\":\"other\"}}"))
        .get("key").asText();
    assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "free"), freeTier).statusCode()).isEqualTo(401);
    assertThat(ok(gw.get("/v1/models", freeTier)).findValuesAsText("id")).as("nor listed").doesNotContain("free", "other");

    // and by a team's models: a key of bob's team (bob's user has no models)
    ok(gw.post("/team/update", "{\"team_id\":\"t-bob\",\"models\":[\"priced\"]}"));
    String teamKey = ok(gw.post("/key/generate", "{\"user_id\":\"bob\",\"team_id\":\"t-bob\",\"aliases\":{\"priced\":\"other\"}}"))
        .get("key").asText();
    HttpResponse<String> viaTeam = gw.post("/v1/chat/completions", CHAT, teamKey);
    assertThat(viaTeam.statusCode()).as(viaTeam.body()).isEqualTo(401);
    assertThat(json(viaTeam).at("/error/message").asText()).contains("Team t-bob");

    // an alias within what the user may call still works, named in the key's models by its alias
    String upgrade = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"models\":[\"free\"],\"aliases\":{\"free\":\"priced\"}}"))
        .get("key").asText();
    assertThat(gw.post("/v1/chat/completions", CHAT.replace("priced", "free"), upgrade).statusCode()).isEqualTo(200);
    assertThat(ok(gw.get("/v1/models", upgrade)).findValuesAsText("id")).containsExactly("free");
  }

  /** A key's allowed_routes hold on the admin routes as on the LLM routes, whatever its user's role. */
  @Test
  void aKeysAllowedRoutesHoldOnTheAdminRoutesToo() throws Exception {
    start(Backend.SQLITE);
    String chatOnly = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"allowed_routes\":[\"/v1/chat/completions\"]}")).get("key").asText();
    assertThat(gw.post("/v1/chat/completions", CHAT, chatOnly).statusCode()).isEqualTo(200);
    for (HttpResponse<String> r : List.of(gw.post("/key/update", "{\"key\":\"" + hash(chatOnly) + "\",\"key_alias\":\"x\"}", chatOnly),
        gw.post("/key/generate", "{}", chatOnly), gw.get("/key/info", chatOnly), gw.get("/spend/logs", chatOnly),
        gw.post("/key/" + hash(chatOnly) + "/regenerate", "{}", chatOnly))) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
      assertThat(json(r).at("/error/type").asText()).isEqualTo("permission_error");
      assertThat(json(r).at("/error/message").asText()).contains("not allowed to call this route").contains("[/v1/chat/completions]")
          .contains("Tried to call route: /");
    }
    assertThat(json(gw.post("/key/generate", "{}", chatOnly)).at("/error/message").asText()).contains("/key/generate")
        .contains("management_routes");
    assertThat(listed(ok(gw.get("/key/list?user_id=alice")))).as("no key was made").hasSize(2);

    // an admin's key too
    String adminChat = ok(gw.post("/key/generate", "{\"user_id\":\"admin\",\"allowed_routes\":[\"llm_api_routes\"]}")).get("key").asText();
    assertThat(gw.post("/v1/chat/completions", CHAT, adminChat).statusCode()).isEqualTo(200);
    assertThat(gw.post("/user/new", "{\"user_id\":\"mallory\",\"user_role\":\"proxy_admin\"}", adminChat).statusCode()).isEqualTo(403);
    assertThat(gw.get("/model/info", adminChat).statusCode()).as("LiteLLM's llm_api_routes hold /model/info").isEqualTo(200);

    // LiteLLM's route groups, prefixes, wildcards and templates
    String info = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"allowed_routes\":[\"info_routes\"]}")).get("key").asText();
    ok(gw.get("/key/info", info));
    ok(gw.get("/user/info", info));
    assertThat(gw.post("/key/update", "{\"key\":\"" + hash(info) + "\",\"key_alias\":\"x\"}", info).statusCode()).isEqualTo(403);
    String manage = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"allowed_routes\":[\"management_routes\"]}")).get("key").asText();
    ok(gw.post("/key/update", "{\"key\":\"" + hash(manage) + "\",\"key_alias\":\"managed\"}", manage));
    assertThat(gw.post("/v1/chat/completions", CHAT, manage).statusCode()).isEqualTo(403);
    String prefix = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"allowed_routes\":[\"/key\"]}")).get("key").asText();
    ok(gw.get("/key/info", prefix));
    assertThat(gw.get("/user/info", prefix).statusCode()).isEqualTo(403);
    String wildcard = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"allowed_routes\":[\"/user/*\"]}")).get("key").asText();
    ok(gw.get("/user/info", wildcard));
    assertThat(gw.get("/key/info", wildcard).statusCode()).isEqualTo(403);
    String template = ok(gw.post("/key/generate", "{\"user_id\":\"alice\",\"allowed_routes\":[\"/key/{key_id}/regenerate\"]}"))
        .get("key").asText();
    ok(gw.post("/key/" + hash(template) + "/regenerate", "{}", template));
  }

  // --- the viewers, and keys without a role ---

  @Test
  void aProxyAdminViewerReadsEverythingAndChangesNothing() throws Exception {
    start(Backend.SQLITE);
    String viewer = keys.get("proxy_admin_viewer");
    String bobKeyHash = ok(gw.get("/key/list?key_alias=bob-key")).get("keys").get(0).asText();
    assertThat(ok(gw.get("/key/info?key=" + bobKeyHash, viewer)).at("/info/user_id").asText()).isEqualTo("bob");
    assertThat(ok(gw.get("/key/list", viewer)).get("total_count").asInt()).isEqualTo(ok(gw.get("/key/list")).get("total_count").asInt());
    assertThat(ok(gw.get("/key/list?user_id=bob", viewer)).get("total_count").asInt()).isEqualTo(2);
    assertThat(ok(gw.get("/user/info?user_id=bob", viewer)).at("/user_info/user_role").asText()).isEqualTo("internal_user");
    assertThat(ok(gw.get("/user/list", viewer)).get("users").findValuesAsText("user_id")).contains("alice", "bob");
    assertThat(ok(gw.get("/team/info?team_id=t-bob", viewer)).get("team_id").asText()).isEqualTo("t-bob");
    assertThat(ok(gw.get("/spend/logs", viewer)).findValuesAsText("user")).containsExactlyInAnyOrder("alice", "bob");
    assertThat(ok(gw.get("/spend/logs?user_id=bob", viewer)).findValuesAsText("user")).containsExactly("bob");
    assertThat(ok(gw.get("/global/spend", viewer)).get("spend").asDouble()).isGreaterThan(0);

    refused(gw.post("/key/generate", "{}", viewer), "internal_user");
    refused(gw.post("/key/update", "{\"key\":\"" + bobKeyHash + "\",\"max_budget\":1}", viewer), "proxy_admin");
    refused(gw.post("/key/delete", "{\"keys\":[\"" + bobKeyHash + "\"]}", viewer), "proxy_admin");
    refused(gw.post("/key/block", "{\"key\":\"" + bobKeyHash + "\"}", viewer), "proxy_admin");
    refused(gw.post("/user/update", "{\"user_id\":\"viewer\",\"user_role\":\"proxy_admin\"}", viewer), "proxy_admin");
    refused(gw.post("/team/member_add", "{\"team_id\":\"t-bob\",\"member\":{\"user_id\":\"viewer\"}}", viewer), "proxy_admin");
    assertThat(ok(gw.get("/user/info?user_id=viewer")).at("/user_info/user_role").asText()).isEqualTo("proxy_admin_viewer");
  }

  @Test
  void anInternalUserViewerReadsItsOwnKeysUserAndSpendOnly() throws Exception {
    start(Backend.SQLITE);
    String ivy = keys.get("internal_user_viewer");
    ok(gw.post("/key/generate", "{\"user_id\":\"ivy\",\"key_alias\":\"ivy-2\"}"));
    ok(gw.post("/v1/chat/completions", CHAT, ivy));
    String bobKeyHash = ok(gw.get("/key/list?key_alias=bob-key")).get("keys").get(0).asText();

    assertThat(ok(gw.get("/key/list?return_full_object=true", ivy)).get("keys").findValuesAsText("user_id")).hasSize(2).containsOnly("ivy");
    String ivy2 = ok(gw.get("/key/list?key_alias=ivy-2")).get("keys").get(0).asText();
    assertThat(ok(gw.get("/key/info?key=" + ivy2, ivy)).at("/info/key_alias").asText()).isEqualTo("ivy-2");
    assertThat(ok(gw.get("/user/info", ivy)).get("user_id").asText()).isEqualTo("ivy");
    long deadline = System.currentTimeMillis() + 10_000;
    while (ok(gw.get("/spend/logs", ivy)).isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(ok(gw.get("/spend/logs", ivy)).findValuesAsText("user")).containsExactly("ivy");

    refused(gw.post("/key/generate", "{}", ivy), "internal_user");
    refused(gw.post("/key/update", "{\"key\":\"" + ivy2 + "\",\"key_alias\":\"x\"}", ivy), "internal_user");
    refused(gw.post("/key/delete", "{\"keys\":[\"" + ivy2 + "\"]}", ivy), "internal_user");
    refused(gw.post("/key/regenerate", "{\"key\":\"" + ivy2 + "\"}", ivy), "internal_user");
    refused(gw.get("/key/info?key=" + bobKeyHash, ivy), "proxy_admin_viewer");
    refused(gw.get("/user/info?user_id=bob", ivy), "proxy_admin_viewer");
    refused(gw.get("/key/list?user_id=bob", ivy), "proxy_admin_viewer");
    assertThat(ok(gw.get("/key/list?key_alias=bob-key", ivy)).get("keys")).isEmpty();
    assertThat(ok(gw.get("/spend/logs?api_key=" + bobKeyHash, ivy))).isEmpty();
  }

  @Test
  void aKeyWithoutARoleReadsOnlyItselfAndARoleChangeAppliesAtOnce() throws Exception {
    start(Backend.SQLITE);
    String nobody = keys.get("no role");
    assertThat(ok(gw.get("/key/info", nobody)).at("/info/user_id").asText()).isEqualTo("nobody");
    String sibling = ok(gw.post("/key/generate", "{\"user_id\":\"nobody\"}")).get("token_id").asText();
    refused(gw.get("/key/info?key=" + sibling, nobody), "proxy_admin");
    refused(gw.get("/key/list", nobody), "internal_user_viewer");

    ok(gw.post("/user/update", "{\"user_id\":\"nobody\",\"user_role\":\"internal_user_viewer\"}"));
    assertThat(listed(ok(gw.get("/key/list", nobody)))).containsExactlyInAnyOrder(hash(nobody), sibling);
    ok(gw.post("/user/update", "{\"user_id\":\"nobody\",\"user_role\":\"internal_user\"}"));
    assertThat(ok(gw.post("/key/generate", "{}", nobody)).get("user_id").asText()).isEqualTo("nobody");
    ok(gw.post("/user/update", "{\"user_id\":\"nobody\",\"user_role\":\"proxy_admin\"}"));
    ok(gw.post("/key/generate", "{\"user_id\":\"bob\"}", nobody));
  }
}
