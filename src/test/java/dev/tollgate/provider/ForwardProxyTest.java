package dev.tollgate.provider;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Upstreams reached through HTTPS_PROXY, as the hardened stack does: a host the proxy refuses is named as such. */
class ForwardProxyTest {
  Vertx vertx;
  NetServer proxy;
  final List<String> requests = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startRefusingProxy() {
    vertx = Vertx.vertx();
    // a filtering proxy: every CONNECT is forbidden
    proxy = vertx.createNetServer().connectHandler(socket -> socket.handler(bytes -> {
      requests.add(bytes.toString().lines().findFirst().orElse(""));
      socket.end(Buffer.buffer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
    })).listen(0, "127.0.0.1").await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void aHostTheProxyRefusesIsReportedAsTheProxysRefusal() throws Exception {
    try (TestGateway gw = TestGateway.start("""
        litellm_settings: {num_retries: 0}
        model_list:
          - model_name: m
            litellm_params: {model: openai/gpt-4o, api_base: "https://api.example.test/v1", api_key: sk-upstream}
        """, Map.of("HTTPS_PROXY", "http://127.0.0.1:" + proxy.actualPort()))) {
      HttpResponse<String> r = gw.post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertThat(requests).anySatisfy(line -> assertThat(line).startsWith("CONNECT api.example.test:443"));
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.body()).contains("forward proxy").contains("api.example.test").contains("403").doesNotContain("connection refused by");
    }
  }
}
