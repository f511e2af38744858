package dev.tollgate.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** This process's threads as the Linux kernel sees them ({@code /proc/self/task}). */
public final class LinuxThreads {
  private LinuxThreads() {}

  public static boolean available() {
    return Files.isReadable(Path.of("/proc/thread-self/stat"));
  }

  /** The calling thread's nice value. */
  public static int currentNice() throws IOException {
    return nice(Path.of("/proc/thread-self"));
  }

  /** The nice value of a task directory's thread (field 19 of its stat; the name before it may hold spaces). */
  public static int nice(Path task) throws IOException {
    String stat = Files.readString(task.resolve("stat"));
    String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(afterName[16]);
  }

  /** Task directories of the threads whose kernel name (the first 15 characters of the Java name) is {@code comm}. */
  public static List<Path> named(String comm) throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.filter(t -> {
        try {
          return Files.readString(t.resolve("comm")).strip().equals(comm);
        } catch (IOException gone) {
          return false;
        }
      }).toList();
    }
  }
}
