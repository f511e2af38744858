import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Turns the raw measurements of bench/run.sh (one {@code key=value} line per run) into the table:
 * medians over the rounds per scenario and target, what Tollgate adds over direct and how it
 * compares with nginx, start-up, RSS, and the bar of issue 2.
 *
 * <p>{@code java bench/Report.java bench/results/STAMP.raw}
 */
public final class Report {
  private static final String[] TARGETS = {"direct", "nginx", "tollgate", "baseline"};

  private final Map<String, String> meta = new LinkedHashMap<>();
  /** scenario → target → the rounds' measurements. */
  private final Map<String, Map<String, List<Map<String, String>>>> runs = new LinkedHashMap<>();
  private final List<Map<String, String>> startups = new ArrayList<>();
  private final List<Map<String, String>> rss = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final List<String> bar = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    Report r = new Report();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      r.add(line);
    }
    r.print();
  }

  private void add(String line) {
    String kind = line.substring(0, line.indexOf(line.startsWith("scenario=") ? '=' : ' '));
    Map<String, String> kv = fields(line);
    switch (kind) {
      case "meta" -> meta.putAll(kv);
      case "startup" -> startups.add(kv);
      case "rss" -> rss.add(kv);
      case "note" -> notes.add(line.substring(5));
      case "scenario" -> runs.computeIfAbsent(kv.get("scenario"), k -> new LinkedHashMap<>())
          .computeIfAbsent(kv.get("target"), k -> new ArrayList<>()).add(kv);
      default -> { }
    }
  }

  private static Map<String, String> fields(String line) {
    Map<String, String> kv = new LinkedHashMap<>();
    for (String token : line.split(" ")) {
      int eq = token.indexOf('=');
      if (eq > 0) {
        kv.put(token.substring(0, eq), token.substring(eq + 1));
      }
    }
    return kv;
  }

  private void print() {
    out("Tollgate benchmark %s: %s CPUs, load generator on cpu %s, servers on cpu %s; %s round(s) x %s s per target,"
        + " targets interleaved; figures are medians over the rounds", meta.get("stamp"), meta.get("cpus"),
        meta.get("gen_cpu"), meta.get("srv_cpu"), meta.get("rounds"), meta.get("duration"));
    out("%s; Tollgate JVM options: %s", meta.get("java").replace('_', ' '),
        meta.getOrDefault("tollgate_java_opts", "").isEmpty() ? "(none)" : meta.get("tollgate_java_opts").replace('_', ' '));
    out("load average (1, 5, 15 min) at start %s, at end %s; the machine may be shared, so compare targets within this"
        + " run rather than with other runs", meta.get("uptime_start"), meta.get("uptime_end"));
    out("");

    out("closed loop (wrk, 1 thread): whole-response latency");
    out("%-16s %-9s %9s %8s %8s %9s %7s %5s", "scenario", "target", "RPS", "p50 ms", "p99 ms", "p99.9 ms", "errors", "load");
    forScenarios(s -> !s.contains("rate") && !s.contains("ttfb") && !s.startsWith("slow"), (s, t) ->
        out("%-16s %-9s %9.0f %8s %8s %9s %7.0f %5s", s, t, med(s, t, "rps"), ms(med(s, t, "p50_us")),
            ms(med(s, t, "p99_us")), ms(med(s, t, "p999_us")), med(s, t, "errors"), loads(s, t)));
    out("");
    out("open loop at a fixed rate: latency from each request's scheduled send time (queueing included)");
    out("%-16s %-9s %9s %8s %8s %9s %8s %7s %5s", "scenario", "target", "RPS", "p50 ms", "p99 ms", "p99.9 ms", "max ms",
        "errors", "load");
    forScenarios(s -> s.contains("rate"), (s, t) ->
        out("%-16s %-9s %9.0f %8s %8s %9s %8s %7.0f %5s", s, t, med(s, t, "rps"), ms(med(s, t, "p50_us")),
            ms(med(s, t, "p99_us")), ms(med(s, t, "p999_us")), ms(med(s, t, "max_us")), med(s, t, "errors"), loads(s, t)));
    out("");
    out("streams (closed loop): whole stream, and time to first byte (TTFB); stalled = a silence over 1 s");
    out("%-16s %-9s %9s %8s %8s %9s %9s %7s %10s %7s %5s", "scenario", "target", "streams/s", "p50 ms", "p99 ms",
        "TTFB p50", "TTFB p99", "stalled", "incomplete", "errors", "load");
    forScenarios(s -> s.contains("ttfb") || s.startsWith("slow"), (s, t) ->
        out("%-16s %-9s %9.0f %8s %8s %9s %9s %7.0f %10.0f %7.0f %5s", s, t, med(s, t, "rps"), ms(med(s, t, "p50_us")),
            ms(med(s, t, "p99_us")), ms(med(s, t, "ttfb_p50_us")), ms(med(s, t, "ttfb_p99_us")), sum(s, t, "stalled"),
            sum(s, t, "incomplete"), sum(s, t, "errors"), loads(s, t)));
    long generatorPauses = runs.values().stream().flatMap(byTarget -> byTarget.values().stream()).flatMap(List::stream)
        .mapToLong(kv -> Long.parseLong(kv.getOrDefault("gen_gc", "0"))).sum();
    if (generatorPauses > 0) {
      out("note: the Java generator collected garbage %d time(s) while measuring: those runs' tails include its pauses",
          generatorPauses);
    }
    out("");

    out("what Tollgate adds (its median minus direct's / nginx's, same run)");
    out("%-16s %14s %13s %13s %15s %15s", "scenario", "RPS / nginx", "p50 +ms", "p99 +ms", "nginx p50 +ms",
        "nginx p99 +ms");
    for (String s : runs.keySet()) {
      if (!has(s, "tollgate") || !has(s, "direct") || !has(s, "nginx")) {
        continue;
      }
      out("%-16s %14.2f %13s %13s %15s %15s", s, med(s, "tollgate", "rps") / med(s, "nginx", "rps"),
          ms(added(s, "tollgate", "p50_us")), ms(added(s, "tollgate", "p99_us")), ms(added(s, "nginx", "p50_us")),
          ms(added(s, "nginx", "p99_us")));
    }
    out("");

    if (runs.values().stream().anyMatch(m -> m.containsKey("baseline"))) {
      out("this build against the baseline build (%s)", meta.get("baseline"));
      out("%-16s %16s %13s %13s", "scenario", "RPS / baseline", "p50 +ms", "p99 +ms");
      for (String s : runs.keySet()) {
        if (has(s, "tollgate") && has(s, "baseline")) {
          out("%-16s %16.2f %13s %13s", s, med(s, "tollgate", "rps") / med(s, "baseline", "rps"),
              ms(med(s, "tollgate", "p50_us") - med(s, "baseline", "p50_us")),
              ms(med(s, "tollgate", "p99_us") - med(s, "baseline", "p99_us")));
        }
      }
      out("");
    }

    double[] startMs = startups.stream().mapToDouble(m -> Double.parseDouble(m.get("ms"))).sorted().toArray();
    double startup = median(startMs);
    out("start-up, process start to /health/readiness answering: median %.0f ms (runs: %s)", startup,
        Arrays.toString(Arrays.stream(startMs).mapToLong(d -> (long) d).toArray()));
    double idleKb = median(startups.stream().mapToDouble(m -> Double.parseDouble(m.get("rss_idle_kb"))).toArray());
    Map<String, Double> peakByPhase = new LinkedHashMap<>();
    double peak = 0;
    double nginxPeak = 0;
    for (Map<String, String> m : rss) {
      double kb = Double.parseDouble(m.get("tollgate_kb"));
      peakByPhase.merge(m.get("phase"), kb, Math::max);
      peak = Math.max(peak, kb);
      nginxPeak = Math.max(nginxPeak, Double.parseDouble(m.get("nginx_kb")));
    }
    out("RSS of Tollgate: %.0f MB right after start; peak %.0f MB under load (nginx proxy, master + worker: %.0f MB)",
        idleKb / 1024, peak / 1024, nginxPeak / 1024);
    StringBuilder phases = new StringBuilder("  peak RSS per scenario, MB:");
    peakByPhase.forEach((phase, kb) -> phases.append(String.format(Locale.ROOT, " %s %.0f;", phase, kb / 1024)));
    out("%s", phases);
    for (String note : notes) {
      out("note: %s", note);
    }
    out("");

    out("the bar of issue 2 (2 cores, auth + routing on)");
    for (String kind : new String[] {"json", "sse"}) {
      String s = kind + "-c64";
      if (has(s, "tollgate") && has(s, "nginx")) {
        check(med(s, "tollgate", "rps") / med(s, "nginx", "rps") >= 0.5, "%s: Tollgate RPS >= 0.5 x nginx: %.2f x", s,
            med(s, "tollgate", "rps") / med(s, "nginx", "rps"));
      }
    }
    for (String s : runs.keySet()) {
      if (s.contains("rate") && has(s, "tollgate") && has(s, "direct")) {
        check(added(s, "tollgate", "p99_us") < 300, "%s: p99 Tollgate adds over direct < 0.3 ms: %s ms", s,
            ms(added(s, "tollgate", "p99_us")));
      }
      if (s.startsWith("slow") && has(s, "tollgate") && has(s, "nginx")) {
        check(sum(s, "tollgate", "stalled") == 0 && sum(s, "tollgate", "incomplete") == 0,
            "%s: no stream stalls or breaks: %.0f stalled, %.0f incomplete", s, sum(s, "tollgate", "stalled"),
            sum(s, "tollgate", "incomplete"));
        double over = med(s, "tollgate", "p99_us") - med(s, "nginx", "p99_us");
        check(over <= 5000, "%s: p99 within 5 ms of nginx's: %s ms", s, ms(over));
      }
    }
    check(peak > 0 && peak < 200 * 1024, "RSS under load < 200 MB: %.0f MB", peak / 1024);
    check(startup < 1000, "ready < 1 s: %.0f ms", startup);
    bar.forEach(System.out::println);
  }

  private void check(boolean ok, String format, Object... args) {
    bar.add((ok ? "  [ok]   " : "  [MISS] ") + String.format(Locale.ROOT, format, args));
  }

  private void forScenarios(Predicate<String> which, BiConsumer<String, String> row) {
    for (String s : runs.keySet()) {
      if (which.test(s)) {
        for (String t : TARGETS) {
          if (has(s, t)) {
            row.accept(s, t);
          }
        }
      }
    }
  }

  private boolean has(String scenario, String target) {
    return runs.containsKey(scenario) && runs.get(scenario).containsKey(target);
  }

  private double added(String scenario, String target, String key) {
    return med(scenario, target, key) - med(scenario, "direct", key);
  }

  private double med(String scenario, String target, String key) {
    return median(values(scenario, target, key));
  }

  private double sum(String scenario, String target, String key) {
    return Arrays.stream(values(scenario, target, key)).sum();
  }

  private double[] values(String scenario, String target, String key) {
    return runs.get(scenario).get(target).stream().map(m -> m.get(key)).filter(v -> v != null && !v.equals("NaN"))
        .mapToDouble(Double::parseDouble).toArray();
  }

  private String loads(String scenario, String target) {
    return String.join("/", runs.get(scenario).get(target).stream().map(m -> m.get("load")).toList());
  }

  private static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static String ms(double micros) {
    return Double.isNaN(micros) ? "-" : String.format(Locale.ROOT, "%.2f", micros / 1000);
  }

  private static void out(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
  }
}
