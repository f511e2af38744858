package dev.tollgate.provider;

import java.util.ArrayList;
import java.util.List;

/** Set once when the client disconnects; upstream requests register to be aborted then. Event-loop confined. */
public final class Cancellation {
  private boolean cancelled;
  private List<Runnable> hooks;

  public boolean isCancelled() {
    return cancelled;
  }

  public void onCancel(Runnable hook) {
    if (cancelled) {
      hook.run();
      return;
    }
    if (hooks == null) {
      hooks = new ArrayList<>(2);
    }
    hooks.add(hook);
  }

  public void cancel() {
    if (cancelled) {
      return;
    }
    cancelled = true;
    if (hooks != null) {
      hooks.forEach(Runnable::run);
      hooks = null;
    }
  }
}
