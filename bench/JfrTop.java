import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording for the hot path: where the CPU samples are (the method on top of
 * the stack, and every method on the stack — "inclusive"), and which classes and Tollgate call
 * sites allocate the most.
 *
 * <p>{@code java bench/JfrTop.java recording.jfr [top-n [class.method]]}: with a method, also where the
 * samples that have it on their stack spend their time.
 */
public final class JfrTop {
  public static void main(String[] args) throws Exception {
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 25;
    String under = args.length > 2 ? args[2] : null;
    Map<String, Long> underSelf = new HashMap<>();
    long[] underCount = {0};
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> byTollgateFrame = new HashMap<>();
    Map<String, Map<String, Long>> calleesOf = new HashMap<>();
    Map<String, Long> allocByClass = new HashMap<>();
    Map<String, Long> allocBySite = new HashMap<>();
    long[] sampleCount = {0};
    long allocated = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
      String type = e.getEventType().getName();
      if (e.getStackTrace() == null) {
        continue;
      }
      List<RecordedFrame> frames = e.getStackTrace().getFrames();
      if (type.equals("jdk.ExecutionSample")) {
        sampleCount[0]++;
        if (!frames.isEmpty()) {
          self.merge(name(frames.get(0)), 1L, Long::sum);
        }
        String line = firstTollgateFrame(frames);
        byTollgateFrame.merge(line, 1L, Long::sum);
        calleesOf.computeIfAbsent(line, k -> new HashMap<>()).merge(callee(frames), 1L, Long::sum);
        if (under != null && frames.stream().anyMatch(f -> name(f).equals(under))) {
          underCount[0]++;
          for (int i = 0; i < Math.min(3, frames.size()); i++) {
            underSelf.merge("[" + i + "] " + name(frames.get(i)), 1L, Long::sum);
          }
        }
        Set<String> seen = new HashSet<>();
        for (RecordedFrame f : frames) {
          if (seen.add(name(f))) {
            inclusive.merge(name(f), 1L, Long::sum);
          }
        }
      } else if (type.equals("jdk.ObjectAllocationSample")) {
        long weight = e.getLong("weight");
        allocated += weight;
        allocByClass.merge(e.getClass("objectClass").getName(), weight, Long::sum);
        allocBySite.merge(firstTollgateFrame(frames), weight, Long::sum);
      }
    }
    long samples = sampleCount[0];
    System.out.printf("%d CPU samples, %.0f MB allocation sampled%n", samples, allocated / 1e6);
    print("CPU, top of stack (self)", self, samples, n, s -> true);
    print("CPU by the Tollgate line nearest the top of the stack (what Tollgate's own code costs, calls included)",
        byTollgateFrame, samples, n, s -> true);
    System.out.println();
    System.out.println("what the top Tollgate lines spend their time in (the library method they call)");
    byTollgateFrame.entrySet().stream().filter(e -> !e.getKey().startsWith("("))
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8).forEach(e -> {
          System.out.printf("  %s%n", e.getKey());
          calleesOf.get(e.getKey()).entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
              .limit(4).forEach(c -> System.out.printf("    %5.1f%%  %s%n", 100.0 * c.getValue() / samples, c.getKey()));
        });
    print("CPU, on the stack (inclusive), Tollgate's methods", inclusive, samples, n, s -> s.startsWith("dev.tollgate."));
    print("CPU, on the stack (inclusive), everything", inclusive, samples, n, s -> true);
    if (under != null) {
      print("samples under " + under + " (" + underCount[0] + "): the top 3 frames of their stacks", underSelf,
          underCount[0], n, s -> true);
    }
    print("allocation by class (share of sampled bytes)", allocByClass, allocated, n, s -> true);
    print("allocation by the Tollgate line nearest the top of the stack", allocBySite, allocated, n, s -> true);
  }

  /** The innermost frame of Tollgate's code, as class.method:line; Vert.x/Netty/JDK work outside any is "(no Tollgate frame)". */
  private static String firstTollgateFrame(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      if (name(f).startsWith("dev.tollgate.")) {
        return name(f) + ":" + f.getLineNumber();
      }
    }
    return "(no Tollgate frame)";
  }

  /** The method the innermost Tollgate frame called (itself when it is on top). */
  private static String callee(List<RecordedFrame> frames) {
    for (int i = 0; i < frames.size(); i++) {
      if (name(frames.get(i)).startsWith("dev.tollgate.")) {
        return i == 0 ? "(itself)" : name(frames.get(i - 1));
      }
    }
    return "-";
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static void print(String title, Map<String, Long> counts, long total, int n,
      java.util.function.Predicate<String> which) {
    System.out.println();
    System.out.println(title);
    counts.entrySet().stream().filter(e -> which.test(e.getKey()))
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
        .forEach(e -> System.out.printf("  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getKey()));
  }
}
