package dev.tollgate.testing;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Writes ready-made SSE frames to a fake upstream's response, one write each, {@code gapMillis}
 * apart (0: at once); a frame whose index {@code mayWrite} refuses waits (re-asked every 5 ms),
 * which lets a test hold streams open until something happened elsewhere.
 */
public final class PacedSse {
  public static final IntPredicate ALWAYS = i -> true;

  private PacedSse() {}

  public static void write(RoutingContext rc, String contentType, List<String> frames, long gapMillis, IntPredicate mayWrite) {
    HttpServerResponse r = rc.response().setChunked(true).putHeader("content-type", contentType).putHeader("cache-control", "no-cache");
    next(rc, r, frames, 0, gapMillis, mayWrite);
  }

  private static void next(RoutingContext rc, HttpServerResponse r, List<String> frames, int from, long gap, IntPredicate mayWrite) {
    int i = from;
    while (i < frames.size() && !r.closed()) {
      if (!mayWrite.test(i)) {
        int at = i;
        rc.vertx().setTimer(5, t -> next(rc, r, frames, at, gap, mayWrite));
        return;
      }
      r.write(frames.get(i++));
      if (gap > 0 && i < frames.size()) {
        int at = i;
        rc.vertx().setTimer(gap, t -> next(rc, r, frames, at, gap, mayWrite));
        return;
      }
    }
    if (!r.closed()) {
      r.end();
    }
  }
}
