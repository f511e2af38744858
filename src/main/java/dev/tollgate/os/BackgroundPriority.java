package dev.tollgate.os;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.Optional;

/**
 * Lets a background thread (the spend journal's and the database writer's) give way to the event
 * loops: the calling thread's nice value goes up by {@value #STEP}. Sharing a core with them at the
 * same priority, a batch of database writes delayed requests by a millisecond or more; at nice +10
 * the scheduler gives the event loop the core first and the writer still gets what it needs (a
 * tenth of the core under full load; it uses less). On Linux the nice value belongs to the thread,
 * not the process, and raising one's own needs no privilege. Elsewhere this does nothing.
 *
 * <p>libc's {@code getpriority}/{@code setpriority} are called through the Foreign Function API,
 * final since Java 22; the code is built for Java 21, where that API is a preview, so it is looked
 * up reflectively and left out on older runtimes.
 */
public final class BackgroundPriority {
  static final int STEP = 10;
  private static final int PRIO_PROCESS = 0;
  private static final int CALLING_THREAD = 0;
  private static final int MAX_NICE = 19;
  private static final MethodHandle GETPRIORITY = libcIntFunction("getpriority", 2);
  private static final MethodHandle SETPRIORITY = libcIntFunction("setpriority", 3);

  private BackgroundPriority() {}

  /** Lowers the calling thread's priority; returns whether it did. */
  public static boolean lowerCurrentThread() {
    if (GETPRIORITY == null || SETPRIORITY == null) {
      return false;
    }
    try {
      int nice = (int) GETPRIORITY.invokeExact(PRIO_PROCESS, CALLING_THREAD);
      return (int) SETPRIORITY.invokeExact(PRIO_PROCESS, CALLING_THREAD, Math.min(MAX_NICE, nice + STEP)) == 0;
    } catch (Throwable e) {
      return false;
    }
  }

  /** A handle {@code (int...) -> int} on a libc function, or null where it cannot be had. */
  private static MethodHandle libcIntFunction(String name, int intArguments) {
    if (!System.getProperty("os.name", "").startsWith("Linux") || Runtime.version().feature() < 22) {
      return null;
    }
    try {
      Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
      Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
      Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
      Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
      Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
      Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
      Object lookup = linkerClass.getMethod("defaultLookup").invoke(linker);
      Optional<?> symbol = (Optional<?>) Class.forName("java.lang.foreign.SymbolLookup").getMethod("find", String.class)
          .invoke(lookup, name);
      if (symbol.isEmpty()) {
        return null;
      }
      Object javaInt = Class.forName("java.lang.foreign.ValueLayout").getField("JAVA_INT").get(null);
      Object arguments = Array.newInstance(layoutClass, intArguments);
      for (int i = 0; i < intArguments; i++) {
        Array.set(arguments, i, javaInt);
      }
      Object descriptor = descriptorClass.getMethod("of", layoutClass, arguments.getClass()).invoke(null, javaInt, arguments);
      Method downcall = linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass, optionClass.arrayType());
      return (MethodHandle) downcall.invoke(linker, symbol.get(), descriptor, Array.newInstance(optionClass, 0));
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return null; // native access refused or no such function: threads keep the process's priority
    }
  }
}
