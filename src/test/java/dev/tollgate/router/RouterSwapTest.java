package dev.tollgate.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.provider.Deployment;
import dev.tollgate.provider.Deployments;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Deployments replaced at run time (models stored through the admin API): what is served, and the state kept. */
class RouterSwapTest {
  private static final Router.Ask NO_ASK = new Router.Ask(0, List.of());

  private static List<Deployment> deployments(String... nameAndId) {
    StringBuilder yaml = new StringBuilder("model_list:\n");
    for (int i = 0; i < nameAndId.length; i += 2) {
      yaml.append("  - model_name: ").append(nameAndId[i]).append("\n    litellm_params:\n      model: openai/m\n")
          .append("      api_key: sk-x\n      api_base: http://127.0.0.1:9/v1\n    model_info:\n      id: ").append(nameAndId[i + 1]).append('\n');
    }
    return Deployments.fromConfig(ConfigLoader.fromYaml(yaml.toString(), "test", new Environment(Map.of())));
  }

  private static Set<String> chosen(Router router, String group) {
    Router.Group g = router.resolve(group).orElseThrow();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      ids.add(router.select(g, Set.of(), NO_ASK).deployment().id());
    }
    return ids;
  }

  private static int slotOf(Router router, String group, String id) {
    Router.Group g = router.resolve(group).orElseThrow();
    for (int i = 0; i < g.size(); i++) {
      if (g.deployments()[i].id().equals(id)) {
        return g.slots()[i];
      }
    }
    throw new AssertionError(id + " not in " + group);
  }

  @Test
  void aSwapServesTheNewSetAndKeepsTheStateOfDeploymentsThatRemain() {
    Router router = new Router(deployments("g", "a", "g", "b"), RouterSettings.defaults(), PriceLookup.DEFAULT);
    int a = slotOf(router, "g", "a");
    int b = slotOf(router, "g", "b");
    router.state().coolDown(a, System.currentTimeMillis());
    router.state().started(b); // a request in flight on b across the swaps
    Router.Group before = router.resolve("g").orElseThrow();
    assertThat(chosen(router, "g")).containsExactly("b");

    // a model added: a new group and a new deployment of "g"; the state grows
    assertThat(router.replaceStored(deployments("g", "c", "h", "d"))).isTrue();
    assertThat(router.modelNames()).containsExactly("g", "h");
    assertThat(router.deployments()).extracting(Deployment::id).containsExactly("a", "b", "c", "d");
    assertThat(chosen(router, "g")).containsExactlyInAnyOrder("b", "c"); // a still cooling down
    assertThat(chosen(router, "h")).containsExactly("d");
    assertThat(slotOf(router, "g", "b")).isEqualTo(b);
    assertThat(router.state().inFlight(b)).isEqualTo(1);
    assertThat(router.select(before, Set.of(), NO_ASK).deployment().id()).as("a group resolved before the swap").isEqualTo("b");

    // the same set again: nothing to do
    assertThat(router.replaceStored(deployments("g", "c", "h", "d"))).isFalse();

    // the model removed: its group is gone, the state of the rest stays
    assertThat(router.replaceStored(List.of())).isTrue();
    assertThat(router.modelNames()).containsExactly("g");
    assertThat(router.resolve("h")).isEmpty();
    assertThat(chosen(router, "g")).containsExactly("b");
    router.state().finished(b, 10, 5); // the request started before the swaps ends
    assertThat(router.state().inFlight(b)).isZero();

    // added again: same slot as before
    router.replaceStored(deployments("g", "c"));
    assertThat(chosen(router, "g")).containsExactlyInAnyOrder("b", "c");
    router.close();
  }
}
