package dev.bkd.core.io;

/**
 * Named moments where a test can make the process die as {@code kill -9} would: with the system property
 * {@code bkd.crashAt=<name>} the JVM halts (exit 137, no shutdown hooks, no finally blocks) when it reaches that
 * point. Kill tests run a child JVM with it instead of sleeping and hoping to hit the moment. Unset, a check is one
 * property read.
 */
public final class CrashPoint {
    /** The system property naming the point to halt at. */
    public static final String PROPERTY = "bkd.crashAt";

    private CrashPoint() {}

    /** Halts the JVM here when {@link #PROPERTY} names {@code name}. */
    public static void reach(String name) {
        if (name.equals(System.getProperty(PROPERTY))) {
            System.err.flush();
            System.out.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
