package dev.tollgate.spend;

import dev.tollgate.store.SpendRow;
import dev.tollgate.store.SpendStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets spend rows off the request path and into the database without losing any:
 * <ol>
 *   <li>{@link #record} queues a row; the journal thread appends queued rows to the local journal
 *       and fsyncs them as one group, then completes their futures (a non-streamed response with
 *       a cost header is released only then);</li>
 *   <li>every {@code proxy_batch_write_at} seconds the rows are written to the database in one
 *       transaction (idempotent per request id) and the journal segments they came from are deleted.</li>
 * </ol>
 * While the database is down, rows stay in memory and in the journal and are written when it is back.
 */
public final class SpendWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpendWriter.class);
  private static final Duration SEGMENT_AGE = Duration.ofSeconds(1);

  private record Pending(SpendRow row, Promise<Void> durable, Context context) {}

  /** What the journal thread hands to the database thread: a row, or "segment closed" after its rows. */
  private record Item(SpendRow row, boolean live, Path closedSegment) {}

  private final SpendJournal journal;
  private final SpendStore store;
  private final Consumer<List<SpendRow>> onLiveRowsWritten;
  private final BlockingQueue<Pending> incoming = new LinkedBlockingQueue<>();
  private final ConcurrentLinkedQueue<Item> toDatabase = new ConcurrentLinkedQueue<>();
  private final List<Item> unwritten = new ArrayList<>();
  private final Thread journalThread;
  private final Thread databaseThread;
  private final long batchMillis;
  private volatile boolean running = true;
  private volatile long lastSuccessfulWrite = System.currentTimeMillis();

  private final Object databaseMonitor;

  /**
   * {@code databaseMonitor} is held around each database write and the callback, so that whoever
   * else reads spend from the database under it (the cache refresh) never sees half of a change.
   */
  private final boolean waitForDisk;

  /**
   * {@code waitForDisk}: whether {@link #record}'s future waits for the fsync (a response is then
   * released only once its spend is on disk) or completes at once (the fsync follows within
   * milliseconds; a crash in between can lose that spend).
   */
  public SpendWriter(Path journalDir, SpendStore store, Duration batchInterval, boolean waitForDisk, Object databaseMonitor,
      Consumer<List<SpendRow>> onLiveRowsWritten) throws IOException {
    this.waitForDisk = waitForDisk;
    this.databaseMonitor = databaseMonitor;
    this.journal = new SpendJournal(journalDir);
    this.store = store;
    this.onLiveRowsWritten = onLiveRowsWritten;
    this.batchMillis = Math.max(10, batchInterval.toMillis());
    int replayed = 0;
    for (SpendJournal.Orphan o : journal.orphans()) {
      for (SpendRow r : o.rows()) {
        toDatabase.add(new Item(r, false, null));
      }
      toDatabase.add(new Item(null, false, o.file()));
      replayed += o.rows().size();
    }
    if (replayed > 0) {
      log.info("spend journal: replaying {} row(s) left by a gateway that did not stop cleanly", replayed);
    }
    journalThread = Thread.ofPlatform().name("tollgate-spend-journal").daemon().start(this::journalLoop);
    databaseThread = Thread.ofPlatform().name("tollgate-spend-writer").daemon().start(this::databaseLoop);
  }

  /**
   * Queues one request's spend; the future completes (on the caller's context) once a row with
   * a cost is on disk in the journal (at once for a row that cost nothing).
   */
  public Future<Void> record(SpendRow row) {
    // a call that cost nothing has nothing to lose: its response does not wait for the disk
    boolean wait = waitForDisk && row.spend() > 0;
    Context ctx = wait ? Vertx.currentContext() : null;
    Promise<Void> p = Promise.promise();
    incoming.add(new Pending(row, p, ctx));
    return wait ? p.future() : Future.succeededFuture();
  }

  /** Rows not yet in the database (journaled or waiting), for readiness and tests. */
  public int backlog() {
    return incoming.size() + toDatabase.size() + unwrittenSize();
  }

  private synchronized int unwrittenSize() {
    return unwritten.size();
  }

  public long millisSinceLastWrite() {
    return System.currentTimeMillis() - lastSuccessfulWrite;
  }

  private void journalLoop() {
    List<Pending> batch = new ArrayList<>();
    long segmentOpened = 0;
    while (running || !incoming.isEmpty()) {
      try {
        Pending first = incoming.poll(100, TimeUnit.MILLISECONDS);
        if (first != null) {
          batch.add(first);
          incoming.drainTo(batch);
          List<SpendRow> rows = new ArrayList<>(batch.size());
          for (Pending p : batch) {
            rows.add(p.row());
          }
          if (!journal.hasOpenSegment()) {
            segmentOpened = System.currentTimeMillis();
          }
          try {
            journal.append(rows);
          } catch (IOException e) {
            log.error("spend journal could not be written ({}); spend is kept in memory only", e.getMessage());
          }
          for (Pending p : batch) {
            toDatabase.add(new Item(p.row(), true, null));
            complete(p);
          }
          batch.clear();
        }
        if (journal.hasOpenSegment() && System.currentTimeMillis() - segmentOpened >= SEGMENT_AGE.toMillis()) {
          toDatabase.add(new Item(null, true, journal.rotate()));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException e) {
        log.error("spend journal: {}", e.getMessage());
      }
    }
  }

  /** Releases the response: also when the journal failed (the spend is still in memory and billed). */
  private static void complete(Pending p) {
    if (p.context() != null) {
      p.context().runOnContext(v -> p.durable().complete());
    } else {
      p.durable().complete();
    }
  }

  private void databaseLoop() {
    while (running) {
      try {
        Thread.sleep(batchMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      writeOnce();
    }
  }

  /** Writes everything handed over so far; on failure keeps it for the next round. Returns whether all was written. */
  synchronized boolean writeOnce() {
    Item item;
    while ((item = toDatabase.poll()) != null) {
      unwritten.add(item);
    }
    if (unwritten.isEmpty()) {
      return true;
    }
    List<SpendRow> rows = new ArrayList<>();
    List<SpendRow> live = new ArrayList<>();
    for (Item i : unwritten) {
      if (i.row() != null) {
        rows.add(i.row());
        if (i.live()) {
          live.add(i.row());
        }
      }
    }
    synchronized (databaseMonitor) {
      try {
        store.write(rows);
      } catch (Exception e) {
        log.debug("spend batch of {} row(s) not written yet: {}", rows.size(), e.getMessage());
        return false;
      }
      lastSuccessfulWrite = System.currentTimeMillis();
      onLiveRowsWritten.accept(live);
    }
    for (Item i : unwritten) {
      if (i.closedSegment() != null) {
        try {
          Files.deleteIfExists(i.closedSegment());
        } catch (IOException e) {
          log.warn("spend journal segment {} could not be deleted: {} (it is replayed harmlessly)", i.closedSegment(), e.getMessage());
        }
      }
    }
    unwritten.clear();
    return true;
  }

  /** Stops after writing what is left; what the database does not take stays in the journal for the next start. */
  @Override
  public void close() {
    running = false;
    try {
      journalThread.join(5_000);
      databaseThread.interrupt();
      databaseThread.join(5_000);
      boolean written = false;
      if (!incoming.isEmpty() || !toDatabase.isEmpty() || unwrittenSize() > 0) {
        Path last = journal.rotate();
        if (last != null) {
          toDatabase.add(new Item(null, true, last));
        }
        written = writeOnce();
      } else {
        Path last = journal.rotate();
        if (last != null) {
          Files.deleteIfExists(last);
        }
        written = true;
      }
      journal.close();
      if (written) {
        journal.removeLock();
      } else {
        log.warn("the database did not take the last {} spend row(s): they stay in the journal and are written at the next start", backlog());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.warn("spend journal did not close cleanly: {}", e.getMessage());
    }
  }
}
