package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import dev.bkd.core.io.ProcStatus;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * 50 generate calls in a row on the tiny model leave no arrays behind and do not grow resident memory. The calls
 * run in a child JVM whose heap is fixed and pre-touched, so RSS moves only with native (libtorch) memory and not
 * with the JVM filling a large young generation with the calls' Java garbage.
 */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class PipelineMemoryTest {
    /**
     * Bound on RSS growth over the 50 calls. Leaking each call's sub-manager (its latents, text embeddings and
     * decoded image) was measured to add 33-43 MB over 50 calls at 128x128; without a leak growth was ~4 MB.
     */
    private static final long MAX_GROWTH_KB = 16 * 1024;
    private static final int CALLS = 50;
    private static final int WARMUP = 10;

    @Test
    void fiftyCallsDoNotGrowRss() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xms384m", "-Xmx384m", "-XX:+AlwaysPreTouch",
                "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dbkd.reference=" + RefData.root(), "-cp", cp, Probe.class.getName())
                .redirectErrorStream(true);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "probe did not finish");
        assertEquals(0, p.exitValue(), out);
        Matcher m = Pattern.compile("arrays (\\d+) -> (\\d+), rss (\\d+) kB -> (\\d+) kB, peak (\\d+) kB").matcher(out);
        assertTrue(m.find(), out);
        long before = Long.parseLong(m.group(3));
        long after = Long.parseLong(m.group(4));
        long peak = Long.parseLong(m.group(5));
        System.out.printf("RSS over %d generate calls (after %d warm-up calls, fixed pre-touched heap): %.1f MB ->"
                + " %.1f MB, peak %.1f MB (growth %.1f MB, bound %.0f MB)%n", CALLS, WARMUP, before / 1024.0,
                after / 1024.0, peak / 1024.0, (after - before) / 1024.0, MAX_GROWTH_KB / 1024.0);
        assertEquals(m.group(1), m.group(2), "arrays left in the pipeline's managers");
        assertTrue(after - before <= MAX_GROWTH_KB, "RSS grew by " + (after - before) + " kB");
    }

    /** The child JVM: warm-up, then 50 calls, reporting array counts and RSS. */
    public static final class Probe {
        public static void main(String[] args) {
            try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults())) {
                BaseNDManager weights = (BaseNDManager) pipe.manager();
                int arrays = weights.getManagedArrays().size();
                for (int i = 0; i < WARMUP; i++) {
                    pipe.generate(request(i));
                }
                long before = rssKb();
                long peak = before;
                for (int i = 0; i < CALLS; i++) {
                    pipe.generate(request(i));
                    peak = Math.max(peak, rssKb());
                }
                long after = rssKb();
                System.out.printf("arrays %d -> %d, rss %d kB -> %d kB, peak %d kB%n", arrays,
                        weights.getManagedArrays().size(), before, after, peak);
            }
        }

        private static GenerationRequest request(int i) {
            return GenerationRequest.builder("a red circle").steps(3).seed((long) i).scheduler("euler-a")
                    .outputs(OutputType.IMAGES, OutputType.ARRAY, OutputType.LATENTS).build();
        }

        private static long rssKb() {
            return ProcStatus.rssKiB().orElseThrow(() -> new IllegalStateException("no VmRSS in /proc/self/status"));
        }
    }
}
