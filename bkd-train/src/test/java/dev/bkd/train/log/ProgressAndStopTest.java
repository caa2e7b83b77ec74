package dev.bkd.train.log;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;

class ProgressAndStopTest {
    @Test
    void plainModePrintsEveryNthStepWithEta() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 100, false, 10, clock::get);
        for (int step = 1; step <= 100; step++) {
            clock.set((step - 1) * 2_000_000_000L); // 2 s per step
            bar.update(step, Map.of("loss", 0.123456), 4.0);
        }
        bar.finish();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(11, lines.length, "step 1, then every 10th");
        assertEquals("step 1/100 [--------------------] 1% | loss 0.1235 | 4.00 img/s | ETA ?", lines[0]);
        // step 50: 49 steps in 98 s -> 2 s/step, 50 left -> 100 s
        assertEquals("step 50/100 [##########----------] 50% | loss 0.1235 | 4.00 img/s | ETA 0:01:40", lines[5]);
        assertTrue(lines[10].startsWith("step 100/100 [####################] 100%"), lines[10]);
        assertTrue(lines[10].endsWith("ETA 0:00:00"), lines[10]);
        assertFalse(bytes.toString(StandardCharsets.UTF_8).contains("\r"));
    }

    @Test
    void terminalModeRedrawsOneLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 3, true, 100, clock::get);
        bar.update(1, Map.of("loss", 10.0), 1);
        bar.update(2, Map.of(), 1);
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, s.chars().filter(c -> c == '\r').count());
        assertFalse(s.contains("\n"));
        String first = s.substring(1, s.lastIndexOf('\r'));
        String second = s.substring(s.lastIndexOf('\r') + 1);
        assertTrue(first.contains("loss 10.00") && !second.contains("loss"), s);
        assertEquals(first.length(), second.length(), "the shorter redraw is padded over the old text");
        assertTrue(second.endsWith("  "), second);
        bar.finish();
        assertTrue(bytes.toString(StandardCharsets.UTF_8).endsWith("\n"));
    }

    @Test
    void firstSigintRequestsAStopInsteadOfKillingTheJvm() throws Exception {
        try (StopSignal stop = StopSignal.install("INT")) {
            Assumptions.assumeTrue(stop.ignoredSignals().isEmpty(),
                    "SIGINT was inherited as ignored (background job): no handler can be installed in this JVM");
            assertEquals(java.util.List.of("INT"), stop.handledSignals(), "cannot test without a handler");
            assertFalse(stop.requested());
            Signal.raise(new Signal("INT"));
            for (int i = 0; i < 200 && !stop.requested(); i++) {
                Thread.sleep(10); // the handler runs on a JVM signal thread
            }
            assertTrue(stop.requested());
            assertEquals("SIGINT", stop.reason());
            assertEquals(130, stop.exitCode());
        }
        StopSignal manual = StopSignal.install();
        manual.close();
        manual.request("test");
        assertTrue(manual.requested());
        assertEquals(1, manual.exitCode());
    }

    @Test
    void anInheritedIgnoredSigintIsReportedNotSilentlyUnhandled() throws Exception {
        // A child JVM started by a shell that ignores SIGINT, as `mvn verify &` in a script does.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("bash", "-c", "trap '' INT; exec \"$0\" -cp \"$1\" \"$2\"",
                java, System.getProperty("java.class.path"), Probe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("handled=[] ignored=[INT]"), out);
        assertTrue(out.contains("SIGINT was ignored when this process started"), "the warning names the cause: " + out);
    }

    /** Runs in the child JVM of the test above. */
    public static final class Probe {
        public static void main(String[] args) {
            try (StopSignal s = StopSignal.install("INT")) {
                System.out.println("handled=" + s.handledSignals() + " ignored=" + s.ignoredSignals());
            }
        }
    }
}
