package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** bkd doctor on this (CPU-only) machine: facts, both probes, and a clear failure for a device that is not there. */
class DoctorCliTest {
    @Test
    void reportsTheCpuEngineAndRunsBothPrecisions() {
        Cli r = Cli.run("doctor");
        assertEquals(0, r.code(), r.err() + r.out());
        String out = r.out();
        assertTrue(out.contains("libtorch 2.7.1"), out);
        assertTrue(out.matches("(?s).*\\nflavor\\s+cpu\\n.*"), "the CPU build from the pytorch-native-cpu jar: " + out);
        assertTrue(out.matches("(?s).*fused ops on cpu\\s+yes.*"), "the fused kernels run in tests: " + out);
        assertTrue(out.matches("(?s).*tiny forward\\s+cpu\\s+fp32\\s+ok.*"), out);
        assertTrue(out.matches("(?s).*tiny forward\\s+cpu\\s+fp16\\s+ok \\(max \\|fp16 - fp32\\| = .*"), out);
        assertTrue(out.contains("ai.djl.offline=true"), out);
    }

    @Test
    void aMissingGpuIsAFailureWithTheReason() {
        Cli r = Cli.run("doctor", "--device", "cuda:0");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("cuda:0 is not available: libtorch sees cpu"), r.out());
        assertTrue(r.out().contains("PYTORCH_LIBRARY_PATH"), r.out());
    }
}
