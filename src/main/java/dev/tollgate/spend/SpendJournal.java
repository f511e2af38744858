package dev.tollgate.spend;

import dev.tollgate.json.Json;
import dev.tollgate.store.SpendRow;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only local journal of spend not yet in the database: JSON lines in segment files
 * {@code <owner>-<n>.jsonl}. Each process owns its segments through a lock on {@code <owner>.lock};
 * at start, the segments of owners that are gone (crashed, killed) are replayed. Appends and
 * segment changes must be serialised by the caller ({@link SpendWriter} holds one lock around
 * them); forcing a detached or current segment to disk may run beside appends.
 */
final class SpendJournal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpendJournal.class);

  private final Path dir;
  private final String owner = UUID.randomUUID().toString();
  private final FileChannel lockChannel;
  private final FileLock lock;
  private FileChannel segment;
  private Path segmentPath;
  private int segmentNumber;
  private long segmentBytes;
  private long totalBytes;

  SpendJournal(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    lockChannel = FileChannel.open(dir.resolve(owner + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    lock = lockChannel.lock();
  }

  /** A segment of a process that is gone, with how many lines (rows) it holds; read when it is written. */
  record Orphan(Path file, int rows) {}

  /** Segments left by processes that are no longer running (their lock is free); not yet deleted. */
  List<Orphan> orphans() throws IOException {
    List<Orphan> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.sorted().toList();
    }
    for (Path f : files) {
      String name = f.getFileName().toString();
      if (!name.endsWith(".jsonl") || name.startsWith(owner)) {
        continue;
      }
      String other = name.substring(0, name.lastIndexOf('-'));
      if (alive(other)) {
        continue;
      }
      out.add(new Orphan(f, lines(f)));
    }
    // lock files of owners that are gone: their segments are in 'out' now
    for (Path f : files) {
      String name = f.getFileName().toString();
      if (name.endsWith(".lock") && !name.startsWith(owner) && !alive(name.substring(0, name.length() - 5))) {
        Files.deleteIfExists(f);
      }
    }
    return out;
  }

  private boolean alive(String otherOwner) {
    Path lockFile = dir.resolve(otherOwner + ".lock");
    if (!Files.exists(lockFile)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
      FileLock l = ch.tryLock();
      if (l == null) {
        return true;
      }
      l.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true; // held by another gateway in this JVM
    } catch (IOException e) {
      return true; // cannot tell: leave it alone
    }
  }

  private static int lines(Path f) throws IOException {
    try (Stream<String> lines = Files.lines(f, StandardCharsets.UTF_8)) {
      return (int) lines.filter(line -> !line.isBlank()).count();
    }
  }

  /** The rows of a segment file (a line cut short by a kill is skipped: it was never acknowledged). */
  static List<SpendRow> read(Path f) throws IOException {
    List<SpendRow> rows = new ArrayList<>();
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        rows.add(Json.MAPPER.readValue(line, SpendRow.class));
      } catch (IOException e) {
        // the last line of a killed process may be cut short: it was never fsync'd, so never acknowledged
        log.warn("spend journal {}: skipped an unreadable line ({} chars)", f.getFileName(), line.length());
      }
    }
    return rows;
  }

  /** Appends one or more complete lines; returns the journal's total length so far (across segments). */
  long append(byte[] lines, int length) throws IOException {
    if (segment == null) {
      segmentPath = dir.resolve(owner + "-" + String.format("%08d", segmentNumber++) + ".jsonl");
      segment = FileChannel.open(segmentPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      segmentBytes = 0;
    }
    ByteBuffer buf = ByteBuffer.wrap(lines, 0, length);
    while (buf.hasRemaining()) {
      int n = segment.write(buf);
      segmentBytes += n;
      totalBytes += n;
    }
    return totalBytes;
  }

  long length() {
    return totalBytes;
  }

  boolean hasOpenSegment() {
    return segment != null && segmentBytes > 0;
  }

  /** The segment being appended to (null when none is open): to force it to disk. */
  FileChannel current() {
    return segment;
  }

  /** A segment taken out of use: forced and closed by whoever detached it. */
  record Detached(FileChannel channel, Path path) {}

  /** Ends the current segment (the next append opens a new one); null when none is open. */
  Detached detach() {
    if (segment == null) {
      return null;
    }
    Detached d = new Detached(segment, segmentPath);
    segment = null;
    segmentPath = null;
    return d;
  }

  /** Closes the current segment and returns its path (deleted once its rows are in the database). */
  Path rotate() throws IOException {
    Detached d = detach();
    if (d == null) {
      return null;
    }
    d.channel().close();
    return d.path();
  }

  @Override
  public void close() throws IOException {
    if (segment != null) {
      segment.close();
    }
    lock.release();
    lockChannel.close();
  }

  /** Removes this process's lock file (on a clean stop, once everything is in the database). */
  void removeLock() throws IOException {
    Files.deleteIfExists(dir.resolve(owner + ".lock"));
  }
}
