package dev.tollgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ProxyHandlerTest {
  @Test
  void durationHeadersAreMillisecondsWithThreeDecimals() {
    assertThat(ProxyHandler.millis(0)).isEqualTo("0.000");
    assertThat(ProxyHandler.millis(1_234_567)).isEqualTo("1.235");
    assertThat(ProxyHandler.millis(50_000)).isEqualTo("0.050");
    assertThat(ProxyHandler.millis(7_000_000_000L)).isEqualTo("7000.000");
  }

  @Test
  void callIdsAreVersion7UuidsInTimeOrder() throws InterruptedException {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(ProxyHandler.newCallId());
      Thread.sleep(2);
    }
    long before = System.currentTimeMillis();
    for (String id : ids) {
      UUID u = UUID.fromString(id);
      assertThat(u.version()).isEqualTo(7);
      assertThat(u.variant()).isEqualTo(2);
      assertThat(u.getMostSignificantBits() >>> 16).isBetween(before - 60_000, before);
    }
    assertThat(ids).isSorted().doesNotHaveDuplicates();
  }
}
