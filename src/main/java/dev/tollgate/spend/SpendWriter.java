package dev.tollgate.spend;

import com.fasterxml.jackson.databind.ObjectWriter;
import dev.tollgate.json.Json;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.SpendStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets spend rows off the request path and into the database without losing any:
 * <ol>
 *   <li>{@link #record} appends the row to the local journal on the caller's thread (on an event
 *       loop: with the other rows of the loop's turn, at its end), before the response that
 *       carries its cost is released: a write to the page cache, so the row
 *       survives the process being killed. The sync thread forces the journal to disk every
 *       {@value #SYNC_EVERY_MILLIS} ms, or at once for callers that wait for the disk
 *       ({@code waitForDisk}: one fsync covers every row appended before it);</li>
 *   <li>every {@code proxy_batch_write_at} seconds, or as soon as {@value #FLUSH_ROWS} rows are
 *       waiting (so that a busy gateway keeps a bounded number of rows in memory), the rows are
 *       written to the database (idempotent per request id) and the journal
 *       segments they came from are deleted.</li>
 * </ol>
 * While the database is down, rows stay in the journal and are written when it is back. Memory
 * holds at most {@value #MAX_ROWS_IN_MEMORY} of them: beyond that a journaled row is left in its
 * segment file, read back once the segment is closed and the database takes it. The backlog goes
 * to the database in transactions of about {@value #ROWS_PER_TRANSACTION} rows (whole segments).
 */
public final class SpendWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpendWriter.class);
  static final long SEGMENT_AGE_MILLIS = 1_000;
  static final long SYNC_EVERY_MILLIS = 100;
  static final int FLUSH_ROWS = 2048;
  static final int MAX_ROWS_IN_MEMORY = 10_000;
  static final int ROWS_PER_TRANSACTION = 5_000;

  /** A response waiting until the journal is on disk up to {@code length}. */
  private record Waiter(long length, Promise<Void> durable, Context context) {}

  /**
   * What goes to the database thread, in journal order: this process's rows (in memory, or only in
   * the segment file while memory holds too many), each segment's end after its rows, and the
   * segments left by a gateway that is gone.
   */
  private sealed interface Item {}

  /** A row held in memory (and in its segment's file, unless the journal refused it). */
  private record Row(SpendRow row) implements Item {}

  /** A row that is only in its segment's file: read back with the whole segment. */
  private enum RowOnDisk implements Item { INSTANCE }

  private record SegmentEnd(Path file) implements Item {}

  /** A segment of a gateway that is gone: replayed, not spent by this process. */
  private record Orphan(Path file, int rows) implements Item {}

  private final SpendJournal journal; // appends and segment changes under journalLock
  private final Object journalLock = new Object();
  private final SpendStore store;
  private final Consumer<List<SpendRow>> onLiveRowsWritten;
  private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Item> toDatabase = new ConcurrentLinkedQueue<>();
  private final AtomicInteger rowsWaiting = new AtomicInteger();
  private final ThreadLocal<Turn> turns = new ThreadLocal<>();
  /** An event loop's journal buffer, reused from turn to turn instead of regrown from 1 KB each time. */
  private final ThreadLocal<Lines> spareLines = new ThreadLocal<>();
  /** Rows handed over as {@link Row}s and not yet written: bounds what a database outage keeps in memory. */
  private final AtomicInteger rowsInMemory = new AtomicInteger();
  private final ArrayDeque<Item> unwritten = new ArrayDeque<>(); // under this
  private final Thread syncThread;
  private final Thread databaseThread;
  private final long batchMillis;
  private volatile boolean running = true;
  private volatile long lastSuccessfulWrite = System.currentTimeMillis();
  private long segmentOpened; // under journalLock
  private long lastWriteErrorLogged; // under journalLock

  /**
   * {@code databaseMonitor} is held around each database write and the callback, so that whoever
   * else reads spend from the database under it (the cache refresh) never sees half of a change.
   */
  private final Object databaseMonitor;

  /**
   * {@code waitForDisk}: whether {@link #record}'s future waits for the fsync (a response is then
   * released only once its spend is on disk, safe from power loss too) or completes once the row
   * is written (safe from a crash or kill of the process; a crash of the machine can lose the
   * last {@value #SYNC_EVERY_MILLIS} ms).
   */
  private final boolean waitForDisk;

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
      toDatabase.add(new Orphan(o.file(), o.rows()));
      replayed += o.rows();
    }
    if (replayed > 0) {
      log.info("spend journal: replaying {} row(s) left by a gateway that did not stop cleanly", replayed);
    }
    syncThread = Thread.ofPlatform().name("tollgate-spend-journal").daemon().start(this::syncLoop);
    databaseThread = Thread.ofPlatform().name("tollgate-spend-writer").daemon().start(this::databaseLoop);
  }

  /**
   * Journals one request's spend; the future completes (on the caller's context) once the row is
   * written, or on disk when responses wait for the disk (at once for a row that cost nothing).
   * On an event loop the rows of one turn of the loop are written together at its end (one
   * system call for all the responses that turn completes), before any of them is released.
   */
  public Future<Void> record(SpendRow row) {
    Context ctx = Vertx.currentContext();
    if (ctx == null || !ctx.isEventLoopContext()) {
      Lines line = new Lines(512);
      line.add(row);
      long length = write(line, List.of(row));
      return released(row, length, ctx);
    }
    Turn turn = turns.get();
    if (turn == null) {
      Lines spare = spareLines.get();
      spareLines.remove();
      Turn fresh = new Turn(spare != null ? spare : new Lines(Lines.KEPT_BYTES));
      turns.set(fresh);
      ctx.runOnContext(v -> flush(fresh, ctx));
      turn = fresh;
    }
    turn.lines.add(row);
    turn.rows.add(row);
    Promise<Void> p = Promise.promise();
    turn.released.add(p);
    return p.future();
  }

  /** What one turn of an event loop recorded. */
  private static final class Turn {
    final Lines lines;
    final List<SpendRow> rows = new ArrayList<>();
    final List<Promise<Void>> released = new ArrayList<>();

    Turn(Lines lines) {
      this.lines = lines;
    }
  }

  /** Journal lines, one JSON row each, serialised straight into one growing array. */
  private static final class Lines extends ByteArrayOutputStream {
    static final int KEPT_BYTES = 16 * 1024;
    /** The row's serializer looked up once, not on every row. */
    private static final ObjectWriter ROW_WRITER = Json.MAPPER.writerFor(SpendRow.class);

    Lines(int size) {
      super(size);
    }

    void add(SpendRow row) {
      try {
        ROW_WRITER.writeValue(this, row);
      } catch (IOException e) {
        throw new IllegalStateException("a spend row did not serialise", e);
      }
      write('\n');
    }

    long appendTo(SpendJournal journal) throws IOException {
      return journal.append(buf, count);
    }

    /** Empty and small enough to keep for the next turn (one busy turn does not pin a large array). */
    boolean recycle() {
      reset();
      return buf.length <= 4 * KEPT_BYTES;
    }
  }

  private void flush(Turn turn, Context ctx) {
    turns.remove();
    long length = write(turn.lines, turn.rows);
    // written (copied to the journal file): the buffer is free before any response goes on
    if (turn.lines.recycle()) {
      spareLines.set(turn.lines);
    }
    for (int i = 0; i < turn.rows.size(); i++) {
      Promise<Void> p = turn.released.get(i);
      released(turn.rows.get(i), length, ctx).onComplete(p);
    }
  }

  /** Appends complete lines to the journal and hands their rows to the database thread; the journal's length after, or -1. */
  private long write(Lines lines, List<SpendRow> rows) {
    long length;
    synchronized (journalLock) {
      if (!journal.hasOpenSegment()) {
        segmentOpened = System.currentTimeMillis();
      }
      try {
        length = lines.appendTo(journal);
      } catch (IOException e) {
        length = -1;
        long now = System.currentTimeMillis();
        if (now - lastWriteErrorLogged > 10_000) {
          lastWriteErrorLogged = now;
          log.error("spend journal could not be written ({}); spend is kept in memory only", e.getMessage());
        }
      }
      boolean keep = length < 0 || rowsInMemory.get() < MAX_ROWS_IN_MEMORY; // what the journal refused stays in memory
      if (keep) {
        rowsInMemory.addAndGet(rows.size());
      }
      for (SpendRow row : rows) {
        toDatabase.add(keep ? new Row(row) : RowOnDisk.INSTANCE);
      }
    }
    rowsWaiting.addAndGet(rows.size());
    return length;
  }

  /** When a written row's response may go: at once, or after the fsync when responses wait for the disk. */
  private Future<Void> released(SpendRow row, long length, Context ctx) {
    // a call that cost nothing has nothing to lose, and a row the journal refused is still billed from memory
    if (!waitForDisk || row.spend() <= 0 || length < 0) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiters.add(new Waiter(length, p, ctx));
    LockSupport.unpark(syncThread);
    return p.future();
  }

  /** Rows not yet in the database. */
  public int backlog() {
    return toDatabase.size() + unwrittenRows();
  }

  private synchronized int unwrittenRows() {
    int rows = 0;
    for (Item i : unwritten) {
      rows += switch (i) {
        case Orphan o -> o.rows();
        case SegmentEnd end -> 0;
        case Row r -> 1;
        case RowOnDisk d -> 1;
      };
    }
    return rows;
  }

  private synchronized boolean hasUnwritten() {
    return !unwritten.isEmpty();
  }

  /** Rows held in memory until the database takes them: about {@value #MAX_ROWS_IN_MEMORY} at most (one more turn's). */
  int rowsInMemory() {
    return rowsInMemory.get();
  }

  public long millisSinceLastWrite() {
    return System.currentTimeMillis() - lastSuccessfulWrite;
  }

  /** Forces the journal to disk: every {@value #SYNC_EVERY_MILLIS} ms, or at once when a response waits for it. */
  private void syncLoop() {
    long synced = 0;
    while (running) {
      if (waiters.isEmpty()) {
        LockSupport.parkNanos(SYNC_EVERY_MILLIS * 1_000_000);
      }
      synced = sync(synced);
    }
    sync(synced);
  }

  /** One round: fsync what was appended so far (closing the segment when it is old enough), release its waiters. */
  private long sync(long synced) {
    long target;
    FileChannel current;
    SpendJournal.Detached detached = null;
    synchronized (journalLock) {
      target = journal.length();
      current = journal.current();
      if (journal.hasOpenSegment() && System.currentTimeMillis() - segmentOpened >= SEGMENT_AGE_MILLIS) {
        detached = journal.detach();
        toDatabase.add(new SegmentEnd(detached.path()));
      }
    }
    try {
      if (detached != null) {
        detached.channel().force(false);
        detached.channel().close();
      } else if (current != null && target > synced) {
        current.force(false);
      }
    } catch (IOException e) {
      log.error("spend journal could not be forced to disk: {}", e.getMessage());
    }
    // released also when forcing failed: the spend is in the page cache and in memory, and billed
    for (Waiter w = waiters.peek(); w != null && w.length() <= target; w = waiters.peek()) {
      waiters.poll();
      Promise<Void> p = w.durable();
      if (w.context() != null) {
        w.context().runOnContext(v -> p.complete());
      } else {
        p.complete();
      }
    }
    return target;
  }

  private void databaseLoop() {
    long lastAttempt = System.currentTimeMillis();
    boolean failing = false;
    while (running) {
      try {
        Thread.sleep(Math.min(batchMillis, 50));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      long now = System.currentTimeMillis();
      // a database that refused the last batch is retried on the interval, not on every row
      if (now - lastAttempt >= batchMillis || (!failing && rowsWaiting.get() >= FLUSH_ROWS)) {
        lastAttempt = now;
        failing = !writeOnce();
      }
    }
  }

  /**
   * Writes everything handed over so far (but the rows of a segment still open that are only in its
   * file), on the caller's thread; on failure keeps it for the next round. Returns whether the
   * database took every batch.
   */
  public synchronized boolean writeOnce() {
    Item item;
    while ((item = toDatabase.poll()) != null) {
      unwritten.add(item);
      if (item instanceof Row || item instanceof RowOnDisk) {
        rowsWaiting.decrementAndGet();
      }
    }
    int written;
    do {
      written = writeFirstTransaction();
    } while (written > 0);
    return written == 0;
  }

  /**
   * Writes the oldest whole segments (and the rows of the open one when they are all in memory)
   * up to about {@value #ROWS_PER_TRANSACTION} rows in one transaction, then deletes those
   * segments. Returns how many items it took off the queue, or -1 when the database refused.
   */
  private int writeFirstTransaction() {
    List<SpendRow> rows = new ArrayList<>();
    Set<SpendRow> live = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Path> segments = new ArrayList<>();
    List<Row> segmentRows = new ArrayList<>();
    boolean segmentOnDisk = false;
    int items = 0;
    int taken = 0;
    for (Item i : unwritten) {
      if (rows.size() >= ROWS_PER_TRANSACTION) {
        break;
      }
      items++;
      switch (i) {
        case Row r -> segmentRows.add(r);
        case RowOnDisk d -> segmentOnDisk = true;
        case SegmentEnd end -> {
          List<SpendRow> segment = new ArrayList<>();
          if (segmentOnDisk) {
            List<SpendRow> read = readBack(end.file());
            if (read == null) {
              return -1;
            }
            segment.addAll(read);
          }
          // also when read back: the rows the journal refused are only here, and a row in both
          // goes in once (the insert is idempotent per request id, and only fresh rows are counted)
          segmentRows.forEach(r -> segment.add(r.row()));
          rows.addAll(segment);
          live.addAll(segment);
          segments.add(end.file());
          segmentRows.clear();
          segmentOnDisk = false;
          taken = items;
        }
        case Orphan o -> {
          List<SpendRow> read = readBack(o.file());
          if (read == null) {
            return -1;
          }
          rows.addAll(read);
          segments.add(o.file());
          taken = items;
        }
      }
    }
    if (!segmentOnDisk && !segmentRows.isEmpty()) { // the open segment's rows so far, all in memory
      segmentRows.forEach(r -> rows.add(r.row()));
      segmentRows.forEach(r -> live.add(r.row()));
      taken = items;
    }
    if (taken == 0) {
      return 0;
    }
    synchronized (databaseMonitor) {
      List<SpendRow> fresh;
      try {
        fresh = store.write(rows);
      } catch (Exception e) {
        log.debug("spend batch of {} row(s) not written yet: {}", rows.size(), e.getMessage());
        return -1;
      }
      lastSuccessfulWrite = System.currentTimeMillis();
      // a segment read back can hold rows already written from memory before it closed: counted once
      onLiveRowsWritten.accept(fresh.stream().filter(live::contains).toList());
    }
    for (int n = 0; n < taken; n++) {
      if (unwritten.removeFirst() instanceof Row) {
        rowsInMemory.decrementAndGet();
      }
    }
    segments.forEach(SpendWriter::deleteWritten);
    return taken;
  }

  /** A segment's rows; null when it cannot be read now (tried again next round). */
  private static List<SpendRow> readBack(Path segment) {
    try {
      return SpendJournal.read(segment);
    } catch (NoSuchFileException e) {
      // deleted by hand: waiting for it would hold up every row after it
      log.error("spend journal segment {} is gone: the spend it held only there cannot be written", segment);
      return List.of();
    } catch (IOException e) {
      log.error("spend journal segment {} could not be read back ({}); it stays for the next start", segment, e.getMessage());
      return null;
    }
  }

  private static void deleteWritten(Path segment) {
    try {
      Files.deleteIfExists(segment);
    } catch (IOException e) {
      log.warn("spend journal segment {} could not be deleted: {} (it is replayed harmlessly)", segment, e.getMessage());
    }
  }

  /** Stops after writing what is left; what the database does not take stays in the journal for the next start. */
  @Override
  public void close() {
    running = false;
    try {
      LockSupport.unpark(syncThread);
      syncThread.join(5_000);
      databaseThread.interrupt();
      databaseThread.join(5_000);
      boolean written;
      Path last;
      synchronized (journalLock) {
        last = journal.rotate();
      }
      if (!toDatabase.isEmpty() || hasUnwritten()) {
        if (last != null) {
          toDatabase.add(new SegmentEnd(last));
        }
        written = writeOnce();
      } else {
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
