import dev.tollgate.Gateway;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.config.GatewayConfig;
import dev.tollgate.provider.Deployments;
import dev.tollgate.router.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the router adds with 50 deployments in a group, against 1:
 *  1. the choice alone (Router.select), ns per call, for each strategy;
 *  2. end to end through a real gateway (mock_response deployments, so no network upstream):
 *     median and p99 of x-litellm-overhead-duration-ms over sequential requests.
 * Run: bench/router/run.sh
 */
public class RouterBench {
  static final String MASTER = "sk-bench";

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    System.out.println("== Router.select, ns per call (median of 5 rounds of 200k)");
    for (String strategy : List.of("simple-shuffle", "least-busy", "usage-based-routing-v2", "latency-based-routing", "cost-based-routing")) {
      System.out.printf("%-24s  1 deployment: %6.0f ns   50 deployments: %6.0f ns%n", strategy,
          selectNanos(config(1, strategy, false)), selectNanos(config(50, strategy, false)));
    }
    System.out.println("== end to end, gateway overhead in ms (x-litellm-overhead-duration-ms), " + requests + " sequential requests");
    for (int n : new int[] {1, 50}) {
      double[] ms = endToEnd(config(n, "simple-shuffle", true), requests);
      System.out.printf("%2d deployment(s): median %.3f ms  p99 %.3f ms%n", n, ms[0], ms[1]);
    }
  }

  static String config(int deployments, String strategy, boolean mock) {
    StringBuilder sb = new StringBuilder("model_list:\n");
    for (int i = 0; i < deployments; i++) {
      sb.append("  - model_name: g\n    litellm_params:\n      model: openai/m").append(i)
          .append("\n      api_key: sk-x\n      rpm: ").append(1_000_000 + i).append('\n');
      if (mock) {
        sb.append("      mock_response: hi\n");
      }
    }
    return sb.append("router_settings:\n  routing_strategy: ").append(strategy).append("\ngeneral_settings:\n  master_key: ")
        .append(MASTER).append('\n').toString();
  }

  static double selectNanos(String yaml) {
    GatewayConfig config = ConfigLoader.fromYaml(yaml, "bench", new Environment(Map.of()));
    Router router = Router.fromConfig(config, Deployments.fromConfig(config));
    Router.Group g = router.resolve("g").orElseThrow();
    Router.Ask ask = new Router.Ask(0, List.of());
    double[] rounds = new double[5];
    long sink = 0;
    for (int warm = 0; warm < 300_000; warm++) {
      sink += router.select(g, Set.of(), ask).slot();
    }
    for (int r = 0; r < rounds.length; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < 200_000; i++) {
        sink += router.select(g, Set.of(), ask).slot();
      }
      rounds[r] = (System.nanoTime() - t0) / 200_000.0;
    }
    if (sink == 42) {
      System.out.print("");
    }
    Arrays.sort(rounds);
    return rounds[2];
  }

  static double[] endToEnd(String yaml, int requests) throws Exception {
    GatewayConfig config = ConfigLoader.fromYaml(yaml, "bench", new Environment(Map.of()));
    Gateway gateway = Gateway.start(config, "127.0.0.1", 0, false);
    try {
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
          .header("authorization", "Bearer " + MASTER).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
      for (int i = 0; i < requests / 2; i++) {
        client.send(request, HttpResponse.BodyHandlers.discarding());
      }
      double[] overhead = new double[requests];
      for (int i = 0; i < requests; i++) {
        HttpResponse<Void> r = client.send(request, HttpResponse.BodyHandlers.discarding());
        overhead[i] = Double.parseDouble(r.headers().firstValue("x-litellm-overhead-duration-ms").orElse("NaN"));
      }
      Arrays.sort(overhead);
      return new double[] {overhead[requests / 2], overhead[(int) (requests * 0.99)]};
    } finally {
      gateway.stop(java.time.Duration.ofSeconds(1));
    }
  }
}
