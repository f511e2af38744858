package dev.tollgate.limits;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FormatCostTest {
  @Test
  void dollarsWithAtMostTenDecimalsAndNoTrailingZeros() {
    assertThat(Enforcement.formatCost(0)).isEqualTo("0.0");
    assertThat(Enforcement.formatCost(3)).isEqualTo("3.0");
    assertThat(Enforcement.formatCost(100)).isEqualTo("100.0");
    assertThat(Enforcement.formatCost(0.0000125)).isEqualTo("0.0000125");
    assertThat(Enforcement.formatCost(1e-12)).isEqualTo("0.0");
    assertThat(Enforcement.formatCost(0.00000000005)).isEqualTo("0.0000000001");
    assertThat(Enforcement.formatCost(12.5)).isEqualTo("12.5");
    assertThat(Enforcement.formatCost(0.1 + 0.2)).isEqualTo("0.3");
    assertThat(Enforcement.formatCost(1234.56789012345)).isEqualTo("1234.5678901235");
    assertThat(Enforcement.formatCost(2e9)).isEqualTo("2000000000.0");
  }
}
