package dev.tollgate.limits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.call.ApiError;
import dev.tollgate.call.ApiException;
import dev.tollgate.call.CallHeaders;
import dev.tollgate.call.Interceptor;
import dev.tollgate.call.ProxyCall;
import dev.tollgate.call.Usage;
import dev.tollgate.json.Json;
import dev.tollgate.keys.Accounts;
import dev.tollgate.observe.ObservedEvents;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Endpoint;
import dev.tollgate.provider.ProviderReply;
import dev.tollgate.provider.TokenEstimate;
import dev.tollgate.redis.SharedRedis;
import dev.tollgate.router.Router;
import dev.tollgate.spend.Prices;
import dev.tollgate.spend.SpendWriter;
import dev.tollgate.store.Entity;
import dev.tollgate.store.SpendRow;
import io.vertx.core.Future;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Before the upstream call: model access, rate limits and budgets of the key, its user and team,
 * and the end user; the call's worst-case cost (prompt estimate + max_tokens) is reserved against
 * every budget at once, so concurrent calls can never overshoot one. After the call: the
 * reservation is settled to the real cost, {@code responseCost} and the cost headers are set, and
 * the spend row is journaled (before a non-streamed response is released) and written in batches.
 */
public final class Enforcement implements Interceptor {
  /** Prompt estimates are rough (four characters a token): reserve with a margin. */
  private static final double PROMPT_MARGIN = 1.25;
  private static final long DEFAULT_MAX_OUTPUT = 4096;
  private static final String MODEL_BUDGET = Accounts.MODEL_BUDGET;
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Enforcement.class);

  private final Accounts accounts;
  private final Prices prices;
  private final SpendWriter writer;
  private final Router router;
  private final Clock clock;
  private final ObservedEvents events;
  private final ModelAccess access;
  private final RateWindows windows = new RateWindows();
  private volatile SharedLimits shared;

  public Enforcement(Accounts accounts, ModelAccess access, Prices prices, SpendWriter writer, Router router, Clock clock,
      ObservedEvents events) {
    this.accounts = accounts;
    this.access = access;
    this.prices = prices;
    this.writer = writer;
    this.router = router;
    this.clock = clock;
    this.events = events;
  }

  /** Everything known about one call's owners, from the cache. */
  private record Owners(String keyHash, Entity key, Entity user, Entity team, String endUser, Entity customer) {}

  /** Shares limits and budgets across replicas through Redis from now on (local state while Redis is down). */
  public void share(SharedRedis redis) {
    this.shared = new SharedLimits(redis);
  }

  @Override
  public Future<ProviderReply> intercept(ProxyCall call, Chain next) {
    Owners o = owners(call);
    ApiError denied = checkAccess(call, o);
    if (denied != null) {
      return Future.failedFuture(new ApiException(denied));
    }
    long now = clock.millis();
    List<RateWindows.Limit> limits = limits(call, o);
    List<Accounts.Charge> charges = charges(o, call.modelGroup);
    double worst = worstCase(call);
    SharedLimits sl = shared;
    if (sl == null || !sl.available()) {
      return local(call, next, o, limits, charges, worst, now);
    }
    return sl.acquire(limits, call.callId, now).transform(acquired -> {
      if (acquired.failed()) {
        sharedFailed(acquired.cause());
        return local(call, next, o, limits, charges, worst, now); // Redis went away: this replica's own state
      }
      if ((Integer) acquired.result()[0] != 0) {
        RateWindows.Limit l = limits.get((Integer) acquired.result()[0] - 1);
        return Future.failedFuture(rateLimited(l.subject(), (String) acquired.result()[1], Math.max(1, (60_000 - now % 60_000 + 999) / 1000)));
      }
      if (acquired.result().length == 3) {
        putLimitHeaders(call, limits.get(0), (long[]) acquired.result()[2]);
      }
      double[] seeds = charges.stream().mapToDouble(c -> accounts.spent(c.kind(), c.id())).toArray();
      return sl.reserve(charges, seeds, call.callId, worst, now).transform(reserved -> {
        if (reserved.failed() || (Integer) reserved.result()[0] != 0) {
          sl.refund(limits, call.callId, now);
          if (reserved.failed()) {
            sharedFailed(reserved.cause());
            return local(call, next, o, limits, charges, worst, now);
          }
          Accounts.Charge c = charges.get((Integer) reserved.result()[0] - 1);
          return Future.failedFuture(new ApiException(budgetError(new Accounts.Exceeded(c, Double.parseDouble((String) reserved.result()[1])), worst, call)));
        }
        // the local ledger still tracks what is pending for the database, without a limit of its own
        Accounts.Reservation mine = (Accounts.Reservation) accounts.reserve(unlimited(charges), worst);
        return proceed(call, next, new Settlement(call, o, mine, limits, now, sl, charges, worst));
      });
    });
  }

  private void sharedFailed(Throwable cause) {
    if (!(cause instanceof SharedRedis.UnavailableException)) {
      log.warn("shared limits in Redis failed ({}); this replica's own limits apply to this call", cause.getMessage());
    }
  }

  private Future<ProviderReply> local(ProxyCall call, Chain next, Owners o, List<RateWindows.Limit> limits,
      List<Accounts.Charge> charges, double worst, long now) {
    RateWindows.Refusal refused = windows.acquire(limits, now);
    if (refused != null) {
      return Future.failedFuture(rateLimited(refused.subject(), refused.limit(), refused.retryAfterSeconds()));
    }
    if (!limits.isEmpty()) {
      putLimitHeaders(call, limits.get(0), windows.remaining(limits.get(0), now));
    }
    Object r = accounts.reserve(charges, worst);
    if (r instanceof Accounts.Exceeded ex) {
      windows.refund(limits, now);
      return Future.failedFuture(new ApiException(budgetError(ex, worst, call)));
    }
    return proceed(call, next, new Settlement(call, o, (Accounts.Reservation) r, limits, now, null, charges, worst));
  }

  private Future<ProviderReply> proceed(ProxyCall call, Chain next, Settlement s) {
    // registered before the later interceptors' hooks: they read responseCost
    call.onComplete(s::completed);
    return next.proceed(call).compose(reply -> {
      if (reply instanceof ProviderReply.Complete c) {
        call.usage = Usage.parse(c.body());
        return s.finish("success").map(reply);
      }
      return Future.succeededFuture(reply);
    }, failure -> {
      s.finish("failure");
      return Future.failedFuture(failure);
    });
  }

  private static ApiException rateLimited(String subject, String limit, long retryAfterSeconds) {
    return new ApiException(new ApiError(429, "rate_limit_error", "Rate limit exceeded for " + subject + ": " + limit
        + ". Try again later.", null, "429", Duration.ofSeconds(retryAfterSeconds)));
  }

  private static List<Accounts.Charge> unlimited(List<Accounts.Charge> charges) {
    return charges.stream().map(c -> new Accounts.Charge(c.kind(), c.id(), -1)).toList();
  }

  /** Settles a call once: real cost, headers, ledger, spend row. */
  private final class Settlement {
    private final ProxyCall call;
    private final Owners owners;
    private final Accounts.Reservation reservation;
    private final List<RateWindows.Limit> limits;
    private final long startMs;
    private final SharedLimits sharedLimits;
    private final List<Accounts.Charge> charges;
    private final double reserved;
    private boolean done;

    Settlement(ProxyCall call, Owners owners, Accounts.Reservation reservation, List<RateWindows.Limit> limits, long startMs,
        SharedLimits sharedLimits, List<Accounts.Charge> charges, double reserved) {
      this.call = call;
      this.owners = owners;
      this.reservation = reservation;
      this.limits = limits;
      this.startMs = startMs;
      this.sharedLimits = sharedLimits;
      this.charges = charges;
      this.reserved = reserved;
    }

    void completed(ProxyCall.Outcome outcome) {
      // a stream that broke off ended with an error event under its 200: not a success either
      finish(outcome.status() < 400 && outcome.error() == null && !outcome.clientDisconnected() ? "success" : "failure");
    }

    Future<Void> finish(String status) {
      if (done) {
        return Future.succeededFuture();
      }
      done = true;
      Usage usage = call.usage;
      boolean estimated = false;
      if (usage == null) {
        // a stream whose usage never came is billed on what it consumed, not as free
        usage = call.estimatedStreamUsage();
        estimated = usage != null;
        call.usage = usage; // for the metrics too
      }
      double cost = usage == null ? 0 : prices.cost(call.deployment, usage);
      call.responseCost = cost;
      accounts.settle(reservation, cost);
      long now = clock.millis();
      long tokens = usage == null ? 0 : usage.totalTokens();
      call.responseHeaders.set(CallHeaders.RESPONSE_COST, formatCost(cost));
      Future<Void> journaled = writer.record(row(call, owners, usage == null ? Usage.NONE : usage, estimated, cost, status, startMs, now));
      if (sharedLimits == null) {
        windows.release(limits, tokens, now);
        if (owners.keyHash() != null) {
          keySpent(accounts.spent(Entity.KEY, owners.keyHash()));
        }
        return journaled;
      }
      sharedLimits.release(limits, call.callId, tokens, now);
      Future<Double> settled = sharedLimits.settle(charges, call.callId, reserved, cost).onSuccess(keySpend -> {
        if (owners.keyHash() != null) {
          keySpent(keySpend);
        }
      });
      // a failed settle (Redis gone) must not fail the call: the reservation lapses on its own
      return Future.join(journaled, settled).transform(ar -> journaled);
    }

    /**
     * The key's spend after this call (Redis' total when shared) in its header; the budget left to
     * the key and its team, when they have one, to the metrics.
     */
    private void keySpent(double keySpend) {
      call.responseHeaders.set(CallHeaders.KEY_SPEND, formatCost(keySpend));
      for (Accounts.Charge c : charges) {
        if (c.maxBudget() < 0) {
          continue;
        }
        if (c.kind().equals(Entity.KEY)) {
          events.remainingKeyBudget(c.id(), owners.key() == null ? null : owners.key().alias(), c.maxBudget() - keySpend);
        } else if (c.kind().equals(Entity.TEAM)) {
          events.remainingTeamBudget(c.id(), owners.team() == null ? null : owners.team().alias(),
              c.maxBudget() - accounts.spent(Entity.TEAM, c.id()));
        }
      }
    }
  }

  private Owners owners(ProxyCall call) {
    String hash = call.principal == null ? null : call.principal.keyHash();
    Entity key = accounts.get(Entity.KEY, hash);
    Entity user = key == null ? null : accounts.get(Entity.USER, key.userId());
    Entity team = key == null ? null : accounts.get(Entity.TEAM, key.teamId());
    String endUser = call.endUser();
    return new Owners(hash, key, user, team, endUser, accounts.get(Entity.CUSTOMER, endUser));
  }

  private ApiError checkAccess(ProxyCall call, Owners o) {
    if (o.customer() != null && o.customer().blocked()) {
      return new ApiError(403, "permission_error", "End user " + o.endUser() + " is blocked.", "user", "403", null);
    }
    Entity refusing = access.refusing(o.key(), o.user(), o.team(), call.body.path("model").asText(), call.modelGroup);
    if (refusing != null) {
      String kind = refusing.kind(); // key, user or team
      String who = kind.equals(Entity.KEY) ? "API key" : Character.toUpperCase(kind.charAt(0)) + kind.substring(1) + " " + refusing.id();
      return new ApiError(401, "key_model_access_denied", who + " not allowed to access model. This " + kind + " can only access models="
          + ModelAccess.models(refusing) + ". Tried to access " + call.modelGroup, "model", "401", null);
    }
    if (o.key() != null) {
      List<String> routes = call.principal.allowedRoutes(); // the key's, read once when it was authenticated
      if (!routes.isEmpty() && routes.stream().noneMatch(r -> ("/" + call.endpoint.path()).equals(r) || ("/v1/" + call.endpoint.path()).equals(r)
          || r.equals("llm_api_routes") || r.equals("openai_routes"))) {
        return new ApiError(403, "permission_error", "This key may not call /" + call.endpoint.path() + " (allowed_routes=" + routes + ")", null, "403", null);
      }
    }
    return null;
  }

  private static List<RateWindows.Limit> limits(ProxyCall call, Owners o) {
    List<RateWindows.Limit> out = new ArrayList<>(4);
    for (Entity e : new Entity[] {o.key(), o.user(), o.team(), o.customer()}) {
      if (e == null) {
        continue;
      }
      JsonNode s = e.settings();
      Long rpm = longOrNull(s.get("rpm_limit"));
      Long tpm = longOrNull(s.get("tpm_limit"));
      Long parallel = longOrNull(s.get("max_parallel_requests"));
      if (rpm != null || tpm != null || parallel != null) {
        out.add(new RateWindows.Limit(e.kind() + ":" + e.id(), rpm, tpm, parallel));
      }
      Long modelRpm = longOrNull(s.path("model_rpm_limit").get(call.modelGroup));
      Long modelTpm = longOrNull(s.path("model_tpm_limit").get(call.modelGroup));
      if (modelRpm != null || modelTpm != null) {
        out.add(new RateWindows.Limit(e.kind() + ":" + e.id() + ":" + call.modelGroup, modelRpm, modelTpm, null));
      }
    }
    return out;
  }

  private static Long longOrNull(JsonNode n) {
    return n == null || !n.isNumber() ? null : n.asLong();
  }

  private static void putLimitHeaders(ProxyCall call, RateWindows.Limit l, long[] remaining) {
    if (l.rpm() != null) {
      call.responseHeaders.set(CallHeaders.LIMIT_REQUESTS, Long.toString(l.rpm()));
      call.responseHeaders.set(CallHeaders.REMAINING_REQUESTS, Long.toString(remaining[0]));
    }
    if (l.tpm() != null) {
      call.responseHeaders.set(CallHeaders.LIMIT_TOKENS, Long.toString(l.tpm()));
      call.responseHeaders.set(CallHeaders.REMAINING_TOKENS, Long.toString(remaining[1]));
    }
  }

  /** Every budget the call counts against; owners without a budget are charged too (max -1) so their spend is tracked. */
  private List<Accounts.Charge> charges(Owners o, String modelGroup) {
    List<Accounts.Charge> out = new ArrayList<>(5);
    if (o.keyHash() != null) {
      out.add(new Accounts.Charge(Entity.KEY, o.keyHash(), maxBudget(o.key())));
    }
    if (o.key() != null && o.key().userId() != null) {
      out.add(new Accounts.Charge(Entity.USER, o.key().userId(), maxBudget(o.user())));
    }
    if (o.key() != null && o.key().teamId() != null) {
      out.add(new Accounts.Charge(Entity.TEAM, o.key().teamId(), maxBudget(o.team())));
    }
    if (o.endUser() != null) {
      out.add(new Accounts.Charge(Entity.CUSTOMER, o.endUser(), maxBudget(o.customer())));
    }
    JsonNode modelBudget = o.key() == null ? null : o.key().settings().path("model_max_budget").get(modelGroup);
    if (modelBudget != null && modelBudget.hasNonNull("budget_limit")) {
      // spend of this key on this model within time_period (from the daily aggregates; shared in Redis when configured)
      out.add(new Accounts.Charge(MODEL_BUDGET, o.keyHash() + "/" + modelGroup, modelBudget.get("budget_limit").asDouble()));
    }
    return out;
  }

  /** An entity's max_budget, or that of the budget it links to ({@code budget_id}); -1 for none. */
  private double maxBudget(Entity e) {
    if (e == null) {
      return -1;
    }
    JsonNode max = e.settings().get("max_budget");
    if ((max == null || !max.isNumber()) && e.settings().hasNonNull("budget_id")) {
      Entity budget = accounts.get(Entity.BUDGET, e.settings().get("budget_id").asText());
      max = budget == null ? null : budget.settings().get("max_budget");
    }
    return max != null && max.isNumber() ? max.asDouble() : -1;
  }

  private double worstCase(ProxyCall call) {
    long prompt = (long) Math.ceil(TokenEstimate.ofRequest(call.body) * PROMPT_MARGIN);
    double worst = 0;
    // a group's deployments may differ in price: reserve for the dearest
    for (Deployment d : router.group(call.modelGroup).orElse(List.of())) {
      Prices.Price p = prices.of(d);
      long out = call.endpoint == Endpoint.EMBEDDINGS ? 0 : maxOutput(call.body, p);
      worst = Math.max(worst, prompt * p.input() + out * Math.max(p.output(), p.reasoning()));
    }
    return worst;
  }

  private static long maxOutput(JsonNode body, Prices.Price p) {
    for (String f : new String[] {"max_completion_tokens", "max_tokens"}) {
      if (body.path(f).isNumber()) {
        return body.get(f).asLong();
      }
    }
    return p.maxOutputTokens() > 0 ? p.maxOutputTokens() : DEFAULT_MAX_OUTPUT;
  }

  private ApiError budgetError(Accounts.Exceeded ex, double worst, ProxyCall call) {
    Accounts.Charge c = ex.charge();
    String who = switch (c.kind()) {
      case Entity.KEY -> "key";
      case Entity.USER -> "user " + c.id();
      case Entity.TEAM -> "team " + c.id();
      case MODEL_BUDGET -> "key on model " + c.id().substring(c.id().indexOf('/') + 1);
      default -> "end user " + c.id();
    };
    String message = ex.spent() >= c.maxBudget()
        ? "Budget has been exceeded! " + who + " current cost: " + formatCost(ex.spent()) + ", max budget: " + formatCost(c.maxBudget())
        : "Budget would be exceeded: this request may cost up to " + formatCost(worst) + " and " + who + " has spent "
            + formatCost(ex.spent()) + " (plus calls in flight) of its max budget " + formatCost(c.maxBudget())
            + (call.body.has("max_tokens") || call.body.has("max_completion_tokens") ? ". Lower max_tokens or raise the budget."
                : ". The request sets no max_tokens, so the model's whole output limit is reserved: set max_tokens, or raise the budget.");
    return new ApiError(400, "budget_exceeded", message, null, "400", null);
  }

  private static final long TEN_DECIMALS = 10_000_000_000L;

  /** Dollars to at most 10 decimals, trailing zeros dropped: 0.0000125, 3.0. */
  static String formatCost(double cost) {
    if (!(cost >= 0 && cost < 1e8)) { // never for a real call's cost; exact, but BigDecimal was 2 % of a call
      String s = new BigDecimal(cost).setScale(10, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
      return s.indexOf('.') < 0 ? s + ".0" : s;
    }
    long tenBillionths = Math.round(cost * 1e10);
    String fraction = Long.toString(TEN_DECIMALS + tenBillionths % TEN_DECIMALS).substring(1);
    int end = fraction.length();
    while (end > 1 && fraction.charAt(end - 1) == '0') {
      end--;
    }
    return (tenBillionths / TEN_DECIMALS) + "." + fraction.substring(0, end);
  }

  private static SpendRow row(ProxyCall call, Owners o, Usage u, boolean estimated, double cost, String status, long startMs,
      long endMs) {
    Deployment d = call.deployment;
    String callType = call.endpoint.callType();
    String metadata = null;
    if ((o.key() != null && o.key().settings().has("tags")) || estimated) {
      ObjectNode m = Json.object();
      if (o.key() != null && o.key().settings().has("tags")) {
        m.set("tags", o.key().settings().get("tags"));
      }
      if (estimated) {
        m.put("usage_estimated", true);
      }
      metadata = m.toString();
    }
    return new SpendRow(call.callId, callType, o.keyHash(), cost, u.promptTokens(), u.completionTokens(), startMs, endMs,
        d == null ? null : d.upstreamModel(), d == null ? null : d.id(), call.modelGroup, d == null ? null : d.providerName(),
        d == null ? null : d.shownApiBase(), o.key() == null ? null : o.key().userId(), o.key() == null ? null : o.key().teamId(),
        o.endUser(), status, call.cacheHit, metadata);
  }
}
