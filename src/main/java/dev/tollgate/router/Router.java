package dev.tollgate.router;

import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigNode;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.observe.ObservedEvents;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.UpstreamException;
import dev.tollgate.redis.SharedRedis;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Model groups (every deployment sharing a {@code model_name}, plus {@code model_group_alias}
 * names and wildcard groups like {@code "*"} or {@code "openai/*"}) and the choice of one
 * deployment per attempt: tags, context window, cooldowns, limits, {@code order}, then the strategy.
 */
public final class Router implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Router.class);
  private static final int MAX_WILDCARD_GROUPS = 10_000;

  private final RouterSettings settings;
  private final PriceLookup prices;
  private final List<Deployment> fixed;
  // A deployment id keeps its slot for the life of the router, so a swap never renumbers state
  // and a request still holding a group of an older snapshot counts against the right slot.
  private final Map<String, Integer> slotOf = new HashMap<>(); // guarded by this
  private volatile Snapshot current;
  private volatile ObservedEvents events = ObservedEvents.NONE;
  private Vertx vertx; // guarded by this
  private SharedRedis redis; // guarded by this

  /**
   * One immutable set of deployments: what a request reads, once, with no lock. Replaced as a
   * whole when models are added, changed or removed at run time ({@link #replaceStored}).
   */
  private record Snapshot(List<Deployment> all, List<Deployment> stored, Slots slots, RouterState state,
      Map<String, Group> groups, List<Group> wildcards, Map<String, Group> wildcardGroups) {}

  /**
   * The deployments of one model group, with their state slots and {@code order}. For a wildcard
   * group, {@code deployments} carry the requested model as their upstream model.
   */
  public record Group(String name, Deployment[] deployments, int[] slots, int[] order) {
    public int size() {
      return deployments.length;
    }
  }

  /** The outcome of a choice: a deployment and its slot, or the error that says why none could be used. */
  public record Selection(Deployment deployment, int slot, UpstreamException error) {
    static Selection failed(UpstreamException e) {
      return new Selection(null, -1, e);
    }
  }

  /** Per-slot routing parameters, read once from the deployments so that a choice touches only arrays. */
  record Slots(double[] weight, int[] maxParallel, long[] rpm, long[] tpm, int[] maxInput, double[] cost) {
    static Slots of(Deployment[] bySlot, PriceLookup prices) {
      int n = bySlot.length;
      Slots s = new Slots(new double[n], new int[n], new long[n], new long[n], new int[n], new double[n]);
      for (int i = 0; i < n; i++) {
        Deployment d = bySlot[i];
        if (d == null) { // a deployment removed at run time: its slot stays, unused
          s.rpm[i] = -1;
          s.tpm[i] = -1;
          continue;
        }
        s.weight[i] = Strategy.weightOf(d);
        s.maxParallel[i] = d.litellmParams().path("max_parallel_requests").asInt(0);
        s.rpm[i] = d.rpm().map(Integer::longValue).orElse(-1L);
        s.tpm[i] = d.tpm().map(Integer::longValue).orElse(-1L);
        s.maxInput[i] = d.modelInfo().path("max_input_tokens").asInt(d.modelInfo().path("max_tokens").asInt(0));
        s.cost[i] = prices.costPerToken(d);
      }
      return s;
    }
  }

  /** What a request asks of the choice. */
  public record Ask(int promptTokens, List<String> tags) {}

  public Router(List<Deployment> deployments) {
    this(deployments, RouterSettings.defaults(), PriceLookup.DEFAULT);
  }

  public Router(List<Deployment> deployments, RouterSettings settings, PriceLookup prices) {
    this(deployments, List.of(), settings, prices);
  }

  /** A router of the config's deployments plus those stored in the database (the latter replaceable). */
  public Router(List<Deployment> fixed, List<Deployment> stored, RouterSettings settings, PriceLookup prices) {
    this.settings = settings;
    this.prices = prices;
    this.fixed = List.copyOf(fixed);
    synchronized (this) {
      current = snapshot(stored, null);
    }
    for (var alias : settings.aliases().entrySet()) {
      if (!current.groups().containsKey(alias.getValue().group()) && current.wildcards().isEmpty()) {
        throw new ConfigException("router_settings.model_group_alias." + alias.getKey()
            + ": \"" + alias.getValue().group() + "\" is not a model_name of model_list");
      }
    }
    warnOfUnknownFallbacks();
  }

  /** A fallback to a typo fails only when a call needs it: say so at start (a warning: /model/new may add it later). */
  private void warnOfUnknownFallbacks() {
    if (!current.wildcards().isEmpty()) {
      return;
    }
    Map<String, Map<String, List<String>>> kinds = new LinkedHashMap<>();
    kinds.put("fallbacks", settings.fallbacks());
    kinds.put("context_window_fallbacks", settings.contextWindowFallbacks());
    kinds.put("content_policy_fallbacks", settings.contentPolicyFallbacks());
    kinds.put("default_fallbacks", Map.of("*", settings.defaultFallbacks()));
    kinds.forEach((kind, map) -> map.forEach((from, targets) -> {
      for (String target : targets) {
        if (!current.groups().containsKey(target) && !settings.aliases().containsKey(target)) {
          log.warn("{}: {} falls back to \"{}\", which is not a model_name of model_list: calls falling back to it will fail",
              kind, from, target);
        }
      }
    }));
  }

  /** Builds the snapshot serving the config's deployments plus {@code stored}; state carried over from {@code previous}. */
  private Snapshot snapshot(List<Deployment> stored, Snapshot previous) {
    List<Deployment> deployments = new ArrayList<>(fixed);
    deployments.addAll(stored);
    for (Deployment d : deployments) {
      slotOf.putIfAbsent(d.id(), slotOf.size());
    }
    Deployment[] bySlot = new Deployment[slotOf.size()];
    for (Deployment d : deployments) {
      int slot = slotOf.get(d.id());
      bySlot[slot] = bySlot[slot] == null ? d : bySlot[slot]; // first of an id
    }
    String[] ids = new String[slotOf.size()];
    slotOf.forEach((id, slot) -> ids[slot] = id);
    RouterState state;
    if (previous == null) {
      state = new RouterState(List.of(ids), settings);
    } else if (previous.state().size() == ids.length) {
      state = previous.state();
    } else {
      state = previous.state().grown(List.of(ids));
      if (redis != null) {
        state.share(vertx, redis);
      }
    }
    Map<String, Group> groups = new LinkedHashMap<>();
    List<Group> wildcards = new ArrayList<>();
    Map<String, List<Deployment>> byName = new LinkedHashMap<>();
    for (Deployment d : deployments) {
      byName.computeIfAbsent(d.modelName(), k -> new ArrayList<>()).add(d);
    }
    byName.forEach((name, list) -> {
      Group g = group(name, list, slotOf);
      if (name.contains("*")) {
        wildcards.add(g);
      } else {
        groups.put(name, g);
      }
    });
    wildcards.sort(Comparator.comparingInt((Group g) -> g.name().length()).reversed());
    return new Snapshot(List.copyOf(deployments), List.copyOf(stored), Slots.of(bySlot, prices), state, groups,
        wildcards, new ConcurrentHashMap<>());
  }

  /**
   * Serves the config's deployments plus {@code stored} from now on (models added, changed or
   * removed through the admin API). Requests already routed finish on the deployment they have;
   * cooldowns, usage and latencies of the deployments that remain are kept. False when nothing changed.
   */
  public synchronized boolean replaceStored(List<Deployment> stored) {
    Snapshot previous = current;
    if (previous.stored().equals(stored)) {
      return false;
    }
    current = snapshot(stored, previous);
    if (current.state() != previous.state()) {
      previous.state().close();
    }
    return true;
  }

  /** The router of a config: its settings, and the per-deployment routing params validated (and marked as read). */
  public static Router fromConfig(GatewayConfig config, List<Deployment> deployments) {
    return fromConfig(config, deployments, List.of());
  }

  /** As {@link #fromConfig(GatewayConfig, List)}, plus the models stored in the database ({@link #replaceStored}). */
  public static Router fromConfig(GatewayConfig config, List<Deployment> deployments, List<Deployment> stored) {
    for (ConfigNode entry : config.modelList()) {
      ConfigNode params = entry.section("litellm_params");
      params.optNonNegativeInt("order");
      params.optNonNegativeInt("max_parallel_requests");
      params.optNonNegative("input_cost_per_token");
      params.optNonNegative("output_cost_per_token");
    }
    return new Router(deployments, stored, RouterSettings.from(config), PriceLookup.DEFAULT);
  }

  private static Group group(String name, List<Deployment> list, Map<String, Integer> slotOf) {
    int n = list.size();
    int[] slots = new int[n];
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      Deployment d = list.get(i);
      slots[i] = slotOf.get(d.id());
      order[i] = d.litellmParams().path("order").asInt(Integer.MAX_VALUE);
    }
    return new Group(name, list.toArray(Deployment[]::new), slots, order);
  }

  /** Shares cooldowns, usage and latencies with every replica through Redis. */
  public synchronized void share(Vertx vertx, SharedRedis redis) {
    this.vertx = vertx;
    this.redis = redis;
    current.state().share(vertx, redis);
  }

  /** Where cool-downs are reported (metrics); nothing until called. */
  public void reportTo(ObservedEvents events) {
    this.events = events;
  }

  ObservedEvents events() {
    return events;
  }

  public RouterSettings settings() {
    return settings;
  }

  RouterState state() {
    return current.state();
  }

  /** The group a client's model name stands for: a model_name, an alias, or a wildcard match. */
  public Optional<Group> resolve(String name) {
    return resolve(current, name);
  }

  private Optional<Group> resolve(Snapshot snap, String name) {
    Group g = snap.groups().get(name);
    if (g != null) {
      return Optional.of(g);
    }
    RouterSettings.Alias alias = settings.aliases().get(name);
    if (alias != null && !alias.group().equals(name)) {
      return resolve(snap, alias.group());
    }
    if (snap.wildcards().isEmpty()) {
      return Optional.empty();
    }
    Map<String, Group> wildcardGroups = snap.wildcardGroups();
    Group cached = wildcardGroups.get(name);
    if (cached != null) {
      return Optional.of(cached);
    }
    for (Group w : snap.wildcards()) {
      String prefix = w.name().substring(0, w.name().indexOf('*'));
      if (name.startsWith(prefix) && name.length() > prefix.length()) {
        Group g2 = wildcardGroup(w, name, name.substring(prefix.length()));
        if (wildcardGroups.size() < MAX_WILDCARD_GROUPS) {
          wildcardGroups.put(name, g2);
        }
        return Optional.of(g2);
      }
    }
    return Optional.empty();
  }

  /** The deployments of a wildcard group, each asked for the requested model. */
  private static Group wildcardGroup(Group w, String name, String requested) {
    Deployment[] ds = new Deployment[w.size()];
    for (int i = 0; i < ds.length; i++) {
      Deployment d = w.deployments()[i];
      String model = d.upstreamModel();
      if (model.endsWith("*")) {
        String upstream = requested.startsWith(d.providerName() + "/") ? requested.substring(d.providerName().length() + 1)
            : model.substring(0, model.length() - 1) + requested;
        d = d.withUpstreamModel(upstream);
      }
      ds[i] = d;
    }
    return new Group(name, ds, w.slots(), w.order());
  }

  public Optional<List<Deployment>> group(String modelName) {
    return resolve(modelName).map(g -> List.of(g.deployments()));
  }

  /** The names clients may ask for: model names and visible aliases (wildcard patterns included). */
  public List<String> modelNames() {
    Snapshot snap = current;
    List<String> names = new ArrayList<>(snap.groups().keySet());
    snap.wildcards().forEach(w -> names.add(w.name()));
    settings.aliases().forEach((name, alias) -> {
      if (!alias.hidden() && !names.contains(name)) {
        names.add(name);
      }
    });
    return names;
  }

  /** Every deployment served now (config.yaml's, then the stored ones). */
  public List<Deployment> deployments() {
    return current.all();
  }

  /**
   * Chooses the deployment for one attempt. Deployments already {@code tried} by this request are
   * skipped while any other can serve. Fails with the error a client should see when none can.
   */
  public Selection select(Group g, Set<Integer> tried, Ask ask) {
    Snapshot snap = current; // its slots cover every slot of an older snapshot's group
    Slots slots = snap.slots();
    RouterState state = snap.state();
    int n = g.size();
    int[] candidates = new int[n];
    int count = 0;
    long now = System.currentTimeMillis();
    boolean taggedMatch = false;
    if (settings.tagFiltering()) {
      for (int i = 0; i < n; i++) {
        if (!ask.tags().isEmpty() && !Collections.disjoint(g.deployments()[i].tags(), ask.tags())) {
          candidates[count++] = i;
          taggedMatch = true;
        }
      }
      if (count == 0) {
        for (int i = 0; i < n; i++) {
          if (g.deployments()[i].tags().contains("default")) {
            candidates[count++] = i;
          }
        }
      }
      if (count == 0 && ask.tags().isEmpty()) {
        count = identity(candidates, n);
      }
      if (count == 0) {
        return Selection.failed(new UpstreamException(400, "invalid_request_error", "No deployments of model="
            + g.name() + " match the request's tags " + ask.tags() + " and none is tagged \"default\"", null,
            "no_deployment_for_tags", null));
      }
    } else {
      count = identity(candidates, n);
    }
    if (settings.preCallChecks() && ask.promptTokens() > 0) {
      int kept = 0;
      for (int k = 0; k < count; k++) {
        int max = slots.maxInput()[g.slots()[candidates[k]]];
        if (max <= 0 || ask.promptTokens() <= max) {
          candidates[kept++] = candidates[k];
        }
      }
      if (kept == 0) {
        return Selection.failed(new UpstreamException(400, "invalid_request_error", "The prompt (about "
            + ask.promptTokens() + " tokens) is larger than the context window of every deployment of model=" + g.name()
            + " (enable_pre_call_checks)", null, "context_length_exceeded", null));
      }
      count = kept;
    }
    int beforeCooldown = count;
    long soonest = Long.MAX_VALUE;
    int kept = 0;
    for (int k = 0; k < count; k++) {
      int slot = g.slots()[candidates[k]];
      if (state.cooling(slot, now)) {
        soonest = Math.min(soonest, state.cooldownUntil(slot));
      } else {
        candidates[kept++] = candidates[k];
      }
    }
    count = kept;
    if (count == 0 && beforeCooldown > 0) {
      long seconds = Math.max(1, (soonest - now + 999) / 1000);
      return Selection.failed(new UpstreamException(429, "rate_limit_error", "No deployments available for selected model, Try again in "
          + seconds + " seconds. Passed model=" + g.name() + ". Deployments are cooling down after failures (cooldown_time="
          + settings.cooldownTime().toSeconds() + "s).", null, "429", Duration.ofSeconds(seconds)));
    }
    kept = 0;
    boolean limits = settings.enforceModelRateLimits() || settings.strategy() == Strategy.USAGE_BASED;
    for (int k = 0; k < count; k++) {
      if (withinLimits(slots, state, g.slots()[candidates[k]], ask, limits, now)) {
        candidates[kept++] = candidates[k];
      }
    }
    if (kept == 0) {
      long seconds = Math.max(1, 60 - (now / 1000) % 60);
      return Selection.failed(new UpstreamException(429, "rate_limit_error", "No deployments available for selected model, Try again in "
          + seconds + " seconds. Passed model=" + g.name() + ". Every deployment is at its rpm/tpm or max_parallel_requests limit.",
          null, "429", Duration.ofSeconds(seconds)));
    }
    count = kept;
    if (!tried.isEmpty()) {
      kept = 0;
      for (int k = 0; k < count; k++) {
        if (!tried.contains(g.slots()[candidates[k]])) {
          candidates[kept++] = candidates[k];
        }
      }
      if (kept > 0) {
        count = kept;
      }
    }
    int best = Integer.MAX_VALUE;
    for (int k = 0; k < count; k++) {
      best = Math.min(best, g.order()[candidates[k]]);
    }
    kept = 0;
    for (int k = 0; k < count; k++) {
      if (g.order()[candidates[k]] == best) {
        candidates[kept++] = g.slots()[candidates[k]];
      }
    }
    // from here on candidates hold slots
    int chosen = settings.strategy().choose(slots, candidates, kept, state, settings, now);
    int slot = candidates[chosen];
    for (int i = 0; i < n; i++) {
      if (g.slots()[i] == slot) {
        return new Selection(g.deployments()[i], slot, null);
      }
    }
    throw new IllegalStateException("slot " + slot + " not in group " + g.name());
  }

  /** Whether a deployment other than the tried ones could serve the group now. */
  boolean hasUntried(Group g, Set<Integer> tried) {
    RouterState state = current.state();
    long now = System.currentTimeMillis();
    for (int slot : g.slots()) {
      if (!tried.contains(slot) && !state.cooling(slot, now)) {
        return true;
      }
    }
    return false;
  }

  private static boolean withinLimits(Slots slots, RouterState state, int slot, Ask ask, boolean rpmTpm, long now) {
    int parallel = slots.maxParallel()[slot];
    if (parallel > 0 && state.inFlight(slot) >= parallel) {
      return false;
    }
    if (!rpmTpm) {
      return true;
    }
    long rpm = slots.rpm()[slot];
    long tpm = slots.tpm()[slot];
    return (rpm < 0 || state.rpm(slot, now) + state.inFlight(slot) + 1 <= rpm)
        && (tpm < 0 || state.tpm(slot, now) + ask.promptTokens() <= tpm);
  }

  /** Remaining requests / tokens this minute for a deployment with limits (for x-ratelimit-remaining-*). */
  Map<String, String> remaining(int slot) {
    Slots slots = current.slots();
    RouterState state = current.state();
    long now = System.currentTimeMillis();
    Map<String, String> out = new HashMap<>(2);
    if (slots.rpm()[slot] >= 0) {
      out.put("x-ratelimit-remaining-requests", Long.toString(Math.max(0, slots.rpm()[slot] - state.rpm(slot, now) - state.inFlight(slot))));
    }
    if (slots.tpm()[slot] >= 0) {
      out.put("x-ratelimit-remaining-tokens", Long.toString(Math.max(0, slots.tpm()[slot] - state.tpm(slot, now))));
    }
    return out;
  }

  private static int identity(int[] candidates, int n) {
    for (int i = 0; i < n; i++) {
      candidates[i] = i;
    }
    return n;
  }

  @Override
  public void close() {
    current.state().close();
  }
}
