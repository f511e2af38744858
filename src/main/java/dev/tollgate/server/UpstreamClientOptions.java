package dev.tollgate.server;

import dev.tollgate.config.Environment;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The upstream HTTP client's options: keep-alive pools, and the forward proxy of HTTPS_PROXY / NO_PROXY. */
public final class UpstreamClientOptions {
  private UpstreamClientOptions() {}

  public static HttpClientOptions fromEnvironment(Environment env) {
    HttpClientOptions options = new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(60)
        .setTcpNoDelay(true)
        .setMaxInitialLineLength(16 * 1024)
        .setMaxHeaderSize(64 * 1024);
    Optional<String> proxy = env.first("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy");
    if (proxy.isPresent()) {
      URI uri = URI.create(proxy.get().contains("://") ? proxy.get() : "http://" + proxy.get());
      ProxyOptions p = new ProxyOptions().setType(ProxyType.HTTP).setHost(uri.getHost())
          .setPort(uri.getPort() > 0 ? uri.getPort() : 3128);
      if (uri.getUserInfo() != null) {
        String[] userPass = uri.getUserInfo().split(":", 2);
        p.setUsername(userPass[0]);
        if (userPass.length > 1) {
          p.setPassword(userPass[1]);
        }
      }
      options.setProxyOptions(p);
      List<String> noProxy = env.first("NO_PROXY", "no_proxy").map(s -> Arrays.stream(s.split(",")).map(String::trim)
          .filter(x -> !x.isEmpty()).toList()).orElse(List.of());
      if (!noProxy.isEmpty()) {
        options.setNonProxyHosts(noProxy);
      }
    }
    return options;
  }
}
