package dev.tollgate.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tollgate.testing.LinuxThreads;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class BackgroundPriorityTest {

  @Test
  void lowersTheCallingThreadOnly() throws Exception {
    assumeTrue(LinuxThreads.available(), "Linux only");
    int before = LinuxThreads.currentNice();
    CompletableFuture<Integer> lowered = new CompletableFuture<>();
    Thread.ofPlatform().start(() -> {
      try {
        assertThat(BackgroundPriority.lowerCurrentThread()).isTrue();
        lowered.complete(LinuxThreads.currentNice());
      } catch (Throwable e) {
        lowered.completeExceptionally(e);
      }
    });
    assertThat(lowered.get()).isEqualTo(Math.min(19, before + BackgroundPriority.STEP));
    assertThat(LinuxThreads.currentNice()).as("the other threads keep their priority").isEqualTo(before);
  }
}
