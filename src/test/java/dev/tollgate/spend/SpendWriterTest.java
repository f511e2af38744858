package dev.tollgate.spend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.Environment;
import dev.tollgate.store.Database;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.SpendStore;
import dev.tollgate.testing.TcpProxy;
import dev.tollgate.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SpendWriterTest {

  private static SpendRow row(int i, double cost) {
    long t = System.currentTimeMillis();
    return new SpendRow("req-" + i, "acompletion", "key-hash", cost, 10, 20, t, t + 5, "openai/gpt-4o", "m1", "gpt-4o", "openai", null,
        null, null, null, "success", false, null);
  }

  private static Database open(TestDatabase t) {
    Database db = Database.open(ConfigLoader.fromYaml("{}", "test", new Environment(t.env())));
    db.migrate();
    return db;
  }

  /** PostgreSQL through a proxy that a test can cut and restore. */
  private static Database openThrough(TcpProxy proxy, TestDatabase t) {
    Map<String, String> env = new HashMap<>(t.env());
    env.put("DATABASE_URL", t.databaseUrl().replace(":5432/", ":" + proxy.port() + "/"));
    Database db = Database.open(ConfigLoader.fromYaml("{}", "test", new Environment(env)));
    db.migrate();
    return db;
  }

  private static String journalText(Path dir) throws Exception {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
        all.append(Files.readString(f));
      }
    }
    return all.toString();
  }

  @Test
  void aRowIsInTheJournalFileWhenRecordReturnsAndAFullBatchGoesToTheDatabaseBeforeTheInterval() throws Exception {
    try (TestDatabase t = TestDatabase.create(TestDatabase.Backend.SQLITE); Database db = open(t)) {
      Path journal = t.dir().resolve("journal");
      AtomicInteger written = new AtomicInteger();
      // an interval no test waits for: only the size of the backlog can trigger the write
      SpendWriter w = new SpendWriter(journal, new SpendStore(db), Duration.ofHours(1), false, new Object(),
          rows -> written.addAndGet(rows.size()));
      try {
        assertThat(w.record(row(0, 0.5)).succeeded()).isTrue();
        // written before record returned (a kill now loses nothing); fsync'd within 100 ms
        assertThat(journalText(journal)).contains("\"requestId\":\"req-0\"");
        for (int i = 1; i < SpendWriter.FLUSH_ROWS; i++) {
          w.record(row(i, 0.5));
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (t.scalar("SELECT COUNT(*) FROM tg_spend_log") < SpendWriter.FLUSH_ROWS && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        assertThat(t.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(SpendWriter.FLUSH_ROWS);
        assertThat(written.get()).isEqualTo(SpendWriter.FLUSH_ROWS);
      } finally {
        w.close();
      }
    }
  }

  @Test
  void whenResponsesWaitForTheDiskTheFutureCompletesAfterTheFsyncAndEveryRowIsWrittenAtClose() throws Exception {
    try (TestDatabase t = TestDatabase.create(TestDatabase.Backend.SQLITE); Database db = open(t)) {
      Path journal = t.dir().resolve("journal");
      SpendWriter w = new SpendWriter(journal, new SpendStore(db), Duration.ofHours(1), true, new Object(), rows -> { });
      try {
        List<io.vertx.core.Future<Void>> durable = Stream.of(1, 2, 3).map(i -> w.record(row(i, 0.25))).toList();
        assertThat(w.record(row(4, 0)).succeeded()).as("a free call does not wait").isTrue();
        for (io.vertx.core.Future<Void> f : durable) {
          assertThat(f.toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS)).isNull();
        }
      } finally {
        w.close();
      }
      assertThat(t.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(4);
      assertThat(journalText(journal)).as("segments are deleted once their rows are in the database").isEmpty();
    }
  }

  @Test
  void onAnEventLoopTheRowsOfOneTurnAreInTheJournalBeforeAnyOfTheirResponsesIsReleased() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try (TestDatabase t = TestDatabase.create(TestDatabase.Backend.SQLITE); Database db = open(t)) {
      Path journal = t.dir().resolve("journal");
      SpendWriter w = new SpendWriter(journal, new SpendStore(db), Duration.ofHours(1), false, new Object(), rows -> { });
      try {
        java.util.concurrent.CompletableFuture<String> seen = new java.util.concurrent.CompletableFuture<>();
        vertx.runOnContext(v -> {
          io.vertx.core.Future<Void> first = w.record(row(1, 0.5));
          io.vertx.core.Future<Void> second = w.record(row(2, 0.5));
          // released only at the end of this turn, both rows written by then
          boolean early = first.isComplete() || second.isComplete();
          io.vertx.core.Future.all(first, second).onComplete(ar -> {
            try {
              seen.complete(early ? "released before the turn ended" : journalText(journal));
            } catch (Exception e) {
              seen.completeExceptionally(e);
            }
          });
        });
        assertThat(seen.get(5, java.util.concurrent.TimeUnit.SECONDS)).contains("\"requestId\":\"req-1\"", "\"requestId\":\"req-2\"");
      } finally {
        w.close();
      }
      assertThat(t.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(2);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void whileTheDatabaseIsDownMemoryHoldsABoundedBacklogAndEveryRowArrivesOnceWhenItIsBack() throws Exception {
    try (TestDatabase t = TestDatabase.create(TestDatabase.Backend.POSTGRES); TcpProxy proxy = TcpProxy.start("127.0.0.1", 5432)) {
      try (Database db = openThrough(proxy, t)) {
        Path journal = t.dir().resolve("journal");
        AtomicInteger liveWritten = new AtomicInteger();
        SpendWriter w = new SpendWriter(journal, new SpendStore(db), Duration.ofMillis(100), false, new Object(),
            rows -> liveWritten.addAndGet(rows.size()));
        int total = 3 * SpendWriter.MAX_ROWS_IN_MEMORY;
        try {
          // written from memory while their segment is still open: read back later with the rest of it
          int before = 100;
          for (int i = 0; i < before; i++) {
            w.record(row(i, 0.001));
          }
          long deadline = System.currentTimeMillis() + 10_000;
          while (t.scalar("SELECT COUNT(*) FROM tg_spend_log") < before && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
          }
          proxy.cut();
          for (int i = before; i < total; i++) {
            w.record(row(i, 0.001));
            if (i % 1000 == 999) {
              Thread.sleep(60); // a second of traffic spans several journal segments
            }
          }
          deadline = System.currentTimeMillis() + 20_000;
          while (w.backlog() < total - before && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
          }
          Thread.sleep(2 * SpendWriter.SEGMENT_AGE_MILLIS); // every segment closed, the writer retried
          assertThat(w.backlog()).isEqualTo(total - before);
          assertThat(w.rowsInMemory()).as("rows held in memory while the database is down")
              .isLessThanOrEqualTo(SpendWriter.MAX_ROWS_IN_MEMORY);

          proxy.restore();
          deadline = System.currentTimeMillis() + 60_000;
          while (w.backlog() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
          }
        } finally {
          w.close();
        }
        assertThat(t.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(total);
        assertThat(t.scalar("SELECT COUNT(DISTINCT request_id) FROM tg_spend_log")).isEqualTo(total);
        assertThat(liveWritten.get()).as("every row's spend moved from pending to the database once").isEqualTo(total);
        assertThat(journalText(journal)).as("written segments are deleted").isEmpty();
      }
    }
  }

  @Test
  void aJournalSegmentDeletedByHandCostsOnlyTheRowsThatWereNowhereElseAndHoldsUpNothing() throws Exception {
    try (TestDatabase t = TestDatabase.create(TestDatabase.Backend.POSTGRES); TcpProxy proxy = TcpProxy.start("127.0.0.1", 5432)) {
      try (Database db = openThrough(proxy, t)) {
        Path journal = t.dir().resolve("journal");
        SpendWriter w = new SpendWriter(journal, new SpendStore(db), Duration.ofMillis(100), false, new Object(), rows -> { });
        int total = 2 * SpendWriter.MAX_ROWS_IN_MEMORY;
        try {
          proxy.cut();
          for (int i = 0; i < total; i++) {
            w.record(row(i, 0.001));
          }
          Thread.sleep(2 * SpendWriter.SEGMENT_AGE_MILLIS); // the segment closed, its end handed over
          List<Path> segments;
          try (Stream<Path> files = Files.list(journal)) {
            segments = files.filter(f -> f.toString().endsWith(".jsonl")).toList();
          }
          assertThat(segments).isNotEmpty();
          for (Path f : segments) {
            Files.delete(f);
          }
          // a write that read the segment before it went fails first (connections time out after 3 s)
          Thread.sleep(4_000);
          assertThat(t.scalar("SELECT COUNT(*) FROM tg_spend_log")).isZero();
          proxy.restore();
          long deadline = System.currentTimeMillis() + 30_000;
          while (w.backlog() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
          }
          assertThat(w.backlog()).as("nothing held up behind the missing segment").isZero();
        } finally {
          w.close();
        }
        // the rows still in memory were written; only those kept in the deleted file alone are lost
        assertThat(t.scalar("SELECT COUNT(*) FROM tg_spend_log")).isEqualTo(SpendWriter.MAX_ROWS_IN_MEMORY);
        assertThat(t.scalar("SELECT COUNT(*) FROM tg_spend_log WHERE request_id = 'req-0'")).isEqualTo(1);
      }
    }
  }
}
