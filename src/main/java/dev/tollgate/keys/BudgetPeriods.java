package dev.tollgate.keys;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LiteLLM's durations ({@code 30s}, {@code 30m}, {@code 30h}, {@code 30d}, {@code 1mo}) and budget
 * periods: {@code 1d} resets at the next midnight, {@code 7d} on the next Monday, {@code 30d} /
 * {@code 1mo} on the 1st of the next month (UTC, or the given time zone); any other duration
 * resets that long after now.
 */
public final class BudgetPeriods {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(s|m|h|d|w|mo)");

  private BudgetPeriods() {}

  /** Parses a duration; throws IllegalArgumentException with the accepted forms. */
  public static Duration parse(String text) {
    Matcher m = text == null ? null : DURATION.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a duration (expected e.g. 30s, 30m, 30h, 30d, 1mo)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      case "w" -> Duration.ofDays(7 * n);
      default -> Duration.ofDays(30 * n);
    };
  }

  /** When a budget with this period that is current at {@code nowMs} resets next (epoch ms). */
  public static long nextReset(String period, long nowMs, String timezone) {
    Duration d = parse(period);
    ZonedDateTime now = Instant.ofEpochMilli(nowMs).atZone(ZoneId.of(timezone == null || timezone.isBlank() ? "UTC" : timezone));
    ZonedDateTime midnight = now.truncatedTo(ChronoUnit.DAYS);
    String p = period.trim();
    if (d.equals(Duration.ofDays(1))) {
      return midnight.plusDays(1).toInstant().toEpochMilli();
    }
    if (d.equals(Duration.ofDays(7))) {
      return midnight.with(TemporalAdjusters.next(DayOfWeek.MONDAY)).toInstant().toEpochMilli();
    }
    if (d.equals(Duration.ofDays(30)) || p.endsWith("mo")) {
      return midnight.with(TemporalAdjusters.firstDayOfNextMonth()).toInstant().toEpochMilli();
    }
    return nowMs + d.toMillis();
  }
}
