package dev.tollgate.limits;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests and tokens per minute (fixed one-minute windows, as LiteLLM counts them) and requests
 * in flight, per key / user / team / model. In memory, per replica.
 */
final class RateWindows {
  /** The limits of one subject; a null limit is no limit. */
  record Limit(String subject, Long rpm, Long tpm, Long parallel) {}

  /** A refused call: which subject, which limit, and how long until the window ends. */
  record Refusal(String subject, String limit, long retryAfterSeconds) {}

  private static final class Window {
    long minute;
    long requests;
    long tokens;
    long inFlight;

    void roll(long nowMinute) {
      if (minute != nowMinute) {
        minute = nowMinute;
        requests = 0;
        tokens = 0;
      }
    }
  }

  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  /** Takes one request (and one slot in flight) from every limit, or from none. */
  synchronized Refusal acquire(List<Limit> limits, long nowMs) {
    long minute = nowMs / 60_000;
    long retry = Math.max(1, (60_000 - nowMs % 60_000 + 999) / 1000);
    for (Limit l : limits) {
      Window w = windows.computeIfAbsent(l.subject(), s -> new Window());
      w.roll(minute);
      if (l.parallel() != null && w.inFlight >= l.parallel()) {
        return new Refusal(l.subject(), "max_parallel_requests=" + l.parallel(), 1);
      }
      if (l.rpm() != null && w.requests >= l.rpm()) {
        return new Refusal(l.subject(), "rpm_limit=" + l.rpm(), retry);
      }
      if (l.tpm() != null && w.tokens >= l.tpm()) {
        return new Refusal(l.subject(), "tpm_limit=" + l.tpm(), retry);
      }
    }
    for (Limit l : limits) {
      Window w = windows.get(l.subject());
      w.requests++;
      w.inFlight++;
    }
    return null;
  }

  /** The call ended: frees its slot and counts its tokens. */
  synchronized void release(List<Limit> limits, long tokens, long nowMs) {
    long minute = nowMs / 60_000;
    for (Limit l : limits) {
      Window w = windows.get(l.subject());
      if (w != null) {
        w.inFlight = Math.max(0, w.inFlight - 1);
        w.roll(minute);
        w.tokens += tokens;
      }
    }
  }

  /** Gives back what {@link #acquire} took for a call refused before it was made (over budget): it does not count. */
  synchronized void refund(List<Limit> limits, long nowMs) {
    long minute = nowMs / 60_000;
    for (Limit l : limits) {
      Window w = windows.get(l.subject());
      if (w != null) {
        w.inFlight = Math.max(0, w.inFlight - 1);
        if (w.minute == minute) {
          w.requests = Math.max(0, w.requests - 1);
        }
      }
    }
  }

  synchronized long[] remaining(Limit l, long nowMs) {
    Window w = windows.get(l.subject());
    long minute = nowMs / 60_000;
    long used = w == null || w.minute != minute ? 0 : w.requests;
    long usedTokens = w == null || w.minute != minute ? 0 : w.tokens;
    return new long[] {l.rpm() == null ? -1 : Math.max(0, l.rpm() - used), l.tpm() == null ? -1 : Math.max(0, l.tpm() - usedTokens)};
  }
}
