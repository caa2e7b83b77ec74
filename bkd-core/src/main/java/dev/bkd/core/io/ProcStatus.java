package dev.bkd.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * This process's memory counters from Linux's {@code /proc/self/status} (the only place the JVM can read its
 * native-inclusive resident set and peak): one parser for the benchmarks and memory tests. Elsewhere the values
 * are absent.
 */
public final class ProcStatus {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcStatus() {}

    /** Resident set size now (VmRSS), in KiB. */
    public static OptionalLong rssKiB() {
        return kiB("VmRSS");
    }

    /** Peak resident set size so far (VmHWM), in KiB. */
    public static OptionalLong peakRssKiB() {
        return kiB("VmHWM");
    }

    /** The {@code field} line's number (e.g. {@code VmRSS:   123456 kB}), or empty off Linux or without it. */
    public static OptionalLong kiB(String field) {
        try {
            return parse(Files.readString(STATUS), field);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty(); // not Linux, or /proc not mounted
        }
    }

    /** {@link #kiB} on the text of a status file. */
    static OptionalLong parse(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                String[] p = line.trim().split("\\s+");
                return p.length >= 2 ? OptionalLong.of(Long.parseLong(p[1])) : OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }
}
