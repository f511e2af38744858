package dev.tollgate.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.provider.Deployments;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The choice of a deployment, without HTTP: strategies, their statistics, and config validation. */
class RouterTest {
  private static final Router.Ask NO_ASK = new Router.Ask(0, List.of());

  static Router router(String yaml) {
    GatewayConfig config = ConfigLoader.fromYaml(yaml, "test", new Environment(Map.of()));
    return Router.fromConfig(config, Deployments.fromConfig(config));
  }

  private static String deployment(String name, String id, String extra) {
    return "  - model_name: " + name + "\n    litellm_params:\n      model: openai/" + id + "\n      api_key: sk-x\n"
        + "      api_base: http://127.0.0.1:9/v1\n" + extra + "    model_info:\n      id: " + id + "\n";
  }

  private static Map<String, Integer> picks(Router router, String group, int n) {
    Router.Group g = router.resolve(group).orElseThrow();
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(router.select(g, Set.of(), NO_ASK).deployment().id(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void simpleShuffleFollowsTheWeightsWithinChiSquareBounds() {
    Router router = router("model_list:\n" + deployment("g", "a", "      weight: 1\n") + deployment("g", "b", "      weight: 2\n")
        + deployment("g", "c", "      weight: 7\n"));
    int n = 20_000;
    Map<String, Integer> counts = picks(router, "g", n);
    double[] expected = {0.1 * n, 0.2 * n, 0.7 * n};
    String[] ids = {"a", "b", "c"};
    double chi2 = 0;
    for (int i = 0; i < 3; i++) {
      double diff = counts.getOrDefault(ids[i], 0) - expected[i];
      chi2 += diff * diff / expected[i];
    }
    // 2 degrees of freedom: P(chi2 > 13.82) = 0.001
    assertThat(chi2).as("chi-square of %s", counts).isLessThan(13.82);
  }

  @Test
  void simpleShuffleWeighsByRpmWhenNoWeightIsSet() {
    Router router = router("model_list:\n" + deployment("g", "a", "      rpm: 100\n") + deployment("g", "b", "      rpm: 900\n"));
    Map<String, Integer> counts = picks(router, "g", 10_000);
    // binomial: mean 1000, sd 30; 6 sd either side
    assertThat(counts.get("a")).isBetween(820, 1180);
  }

  @Test
  void usageBasedRoutingPicksTheLeastUsedAndSkipsDeploymentsOverTheirLimits() {
    Router router = router("model_list:\n" + deployment("g", "a", "      rpm: 2\n") + deployment("g", "b", "      rpm: 1000\n")
        + "router_settings:\n  routing_strategy: usage-based-routing-v2\n");
    Router.Group g = router.resolve("g").orElseThrow();
    RouterState state = router.state();
    for (int i = 0; i < 2; i++) { // two requests to a: its rpm is used up
      state.started(g.slots()[0]);
      state.finished(g.slots()[0], 0, 1);
    }
    state.started(g.slots()[1]);
    state.finished(g.slots()[1], 1000, 1); // b has used more tokens, but a is over its rpm
    for (int i = 0; i < 50; i++) {
      assertThat(router.select(g, Set.of(), NO_ASK).deployment().id()).isEqualTo("b");
    }
  }

  @Test
  void latencyBasedRoutingPrefersTheFastestAndLeastBusyTheIdlest() {
    Router latency = router("model_list:\n" + deployment("g", "a", "") + deployment("g", "b", "")
        + "router_settings:\n  routing_strategy: latency-based-routing\n");
    Router.Group g = latency.resolve("g").orElseThrow();
    latency.state().started(g.slots()[0]);
    latency.state().finished(g.slots()[0], 0, 900);
    latency.state().started(g.slots()[1]);
    latency.state().finished(g.slots()[1], 0, 50);
    assertThat(picks(latency, "g", 100)).containsOnlyKeys("b");

    Router busy = router("model_list:\n" + deployment("g", "a", "") + deployment("g", "b", "")
        + "router_settings:\n  routing_strategy: least-busy\n");
    Router.Group bg = busy.resolve("g").orElseThrow();
    busy.state().started(bg.slots()[1]);
    assertThat(picks(busy, "g", 100)).containsOnlyKeys("a");
  }

  @Test
  void costBasedRoutingPrefersTheCheapest() {
    Router router = router("model_list:\n"
        + "  - model_name: g\n    litellm_params:\n      model: openai/gpt-4o\n      api_key: sk-x\n"
        + "  - model_name: g\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_key: sk-x\n"
        + "  - model_name: g\n    litellm_params:\n      model: openai/private\n      api_key: sk-x\n"
        + "      api_base: http://127.0.0.1:9/v1\n    model_info:\n      input_cost_per_token: 0.001\n"
        + "router_settings:\n  routing_strategy: cost-based-routing\n");
    Router.Group g = router.resolve("g").orElseThrow();
    for (int i = 0; i < 20; i++) {
      assertThat(router.select(g, Set.of(), NO_ASK).deployment().upstreamModel()).isEqualTo("gpt-4o-mini");
    }
  }

  @Test
  void settingsAreValidatedWithTheirPath() {
    assertThatThrownBy(() -> router("model_list:\n" + deployment("g", "a", "") + "router_settings:\n  routing_strategy: fastest\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("router_settings.routing_strategy").hasMessageContaining("simple-shuffle");
    assertThatThrownBy(() -> router("model_list:\n" + deployment("g", "a", "") + "router_settings:\n  retry_policy:\n    OopsErrorRetries: 2\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("router_settings.retry_policy.OopsErrorRetries");
    assertThatThrownBy(() -> router("model_list:\n" + deployment("g", "a", "") + "router_settings:\n  model_group_alias: {x: nope}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("model_group_alias.x");
  }
}
