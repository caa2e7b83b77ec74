package dev.bkd.core.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a child JVM with the test class path, for kill tests: with {@code crashAt} the child halts
 * at that {@link dev.bkd.core.io.CrashPoint} as {@code kill -9} would (exit 137), deterministically, not by timing.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** Exit code and everything the child printed (stdout and stderr together). */
    public record Result(int exit, String output) {
        public boolean halted() {
            return exit == 137;
        }
    }

    public static Result run(Class<?> main, String crashAt, String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx1g", "-XX:TieredStopAtLevel=1",
                "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_interop_threads=1"));
        if (System.getProperty("bkd.reference") != null) {
            cmd.add("-Dbkd.reference=" + System.getProperty("bkd.reference"));
        }
        if (crashAt != null) {
            cmd.add("-Dbkd.crashAt=" + crashAt);
        }
        cmd.addAll(List.of("-cp", cp, main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child " + main.getSimpleName() + " did not finish: " + out);
        return new Result(p.exitValue(), out);
    }
}
