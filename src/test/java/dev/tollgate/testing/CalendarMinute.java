package dev.tollgate.testing;

/**
 * Rate limits count per calendar minute, as LiteLLM's do: a test that uses up a limit and then
 * expects a 429 fails when its requests straddle hh:mm:00, where the count resets.
 */
public final class CalendarMinute {
  private CalendarMinute() {}

  /** Waits for the next minute when fewer than {@code seconds} of the current one are left. */
  public static void awaitRoomFor(int seconds) {
    long left = 60_000 - System.currentTimeMillis() % 60_000;
    if (left < seconds * 1000L) {
      try {
        Thread.sleep(left + 100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the next minute", e);
      }
    }
  }
}
