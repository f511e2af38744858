package dev.tollgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProxyHandlerTest {
  @Test
  void durationHeadersAreMillisecondsWithThreeDecimals() {
    assertThat(ProxyHandler.millis(0)).isEqualTo("0.000");
    assertThat(ProxyHandler.millis(1_234_567)).isEqualTo("1.235");
    assertThat(ProxyHandler.millis(50_000)).isEqualTo("0.050");
    assertThat(ProxyHandler.millis(7_000_000_000L)).isEqualTo("7000.000");
  }
}
