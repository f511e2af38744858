package dev.tollgate;

import sun.misc.Signal;

/**
 * SIGTERM / SIGINT run a graceful stop and the process exits 0 (a JVM shutdown hook would exit
 * 143, which orchestrators read as a crash).
 */
final class Signals {
  private Signals() {}

  static void onTermination(Runnable stop) {
    Thread[] running = new Thread[1];
    sun.misc.SignalHandler handler = sig -> {
      synchronized (running) {
        if (running[0] == null) {
          running[0] = Thread.ofPlatform().name("tollgate-shutdown").start(stop);
        }
      }
    };
    Signal.handle(new Signal("TERM"), handler);
    Signal.handle(new Signal("INT"), handler);
  }
}
