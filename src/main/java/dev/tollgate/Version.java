package dev.tollgate;

/** The version of this build, from the jar's manifest (or "dev" when run from classes). */
public final class Version {
  public static final String VERSION = resolve();

  private Version() {}

  private static String resolve() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
