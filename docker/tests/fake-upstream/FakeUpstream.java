import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OpenAI-compatible upstream for the deployment tests, run as a single source file
 * (`java FakeUpstream.java PORT`). POST /v1/chat/completions answers "fake upstream says hi";
 * a model named "slow-N" answers after N seconds (to test draining). GET /count tells how many
 * chat requests arrived.
 */
public final class FakeUpstream {
  private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"([^\"]*)\"");

  public static void main(String[] args) throws IOException {
    AtomicInteger count = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(args.length > 0 ? args[0] : "8080")), 64);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/chat/completions", ex -> {
      count.incrementAndGet();
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Matcher m = MODEL.matcher(body);
      String model = m.find() ? m.group(1) : "unknown";
      if (model.startsWith("slow-")) {
        try {
          Thread.sleep(Long.parseLong(model.substring(5)) * 1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      reply(ex, 200, "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"" + model
          + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"fake upstream says hi\"},"
          + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4,\"total_tokens\":9}}");
    });
    server.createContext("/count", ex -> reply(ex, 200, "{\"count\":" + count.get() + "}"));
    server.start();
    System.out.println("fake upstream listening on " + server.getAddress().getPort());
  }

  private static void reply(HttpExchange ex, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }
}
