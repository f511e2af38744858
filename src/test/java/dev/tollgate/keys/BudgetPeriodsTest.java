package dev.tollgate.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BudgetPeriodsTest {
  static final long WED_NOON = Instant.parse("2026-11-25T12:00:00Z").toEpochMilli();

  static String next(String period, String tz) {
    return Instant.ofEpochMilli(BudgetPeriods.nextReset(period, WED_NOON, tz)).toString();
  }

  @Test
  void periodsAlignLikeLiteLlm() {
    assertThat(next("1d", "UTC")).isEqualTo("2026-11-26T00:00:00Z");
    assertThat(next("7d", "UTC")).isEqualTo("2026-11-30T00:00:00Z");
    assertThat(next("30d", "UTC")).isEqualTo("2026-12-01T00:00:00Z");
    assertThat(next("1mo", "UTC")).isEqualTo("2026-12-01T00:00:00Z");
    assertThat(next("1d", "America/New_York")).isEqualTo("2026-11-26T05:00:00Z");
    assertThat(next("2h", "UTC")).isEqualTo("2026-11-25T14:00:00Z");
  }

  @Test
  void durationsParseOrSayWhatIsAccepted() {
    assertThat(BudgetPeriods.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(BudgetPeriods.parse("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(BudgetPeriods.parse("30h")).isEqualTo(Duration.ofHours(30));
    assertThat(BudgetPeriods.parse("30d")).isEqualTo(Duration.ofDays(30));
    assertThatThrownBy(() -> BudgetPeriods.parse("monthly")).hasMessageContaining("30s, 30m, 30h, 30d");
  }
}
