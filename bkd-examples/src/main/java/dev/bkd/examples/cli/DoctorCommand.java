package dev.bkd.examples.cli;

import dev.bkd.core.doctor.Doctor;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd doctor}: what libtorch bkd runs on, and whether each device can run a tiny model in fp32 and fp16. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Report the engine, where libtorch was loaded from, its flavor, the devices, whether the fused",
                "GroupNorm/attention ops are active, threads, OpenMP and offline settings; then run a tiny forward on",
                "each device in fp32 and fp16. Exits 1 when the --device asked for cannot run it."})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEVICE",
            description = "The device that must work: cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Doctor.Report r = Doctor.examine();
        int width = r.facts().keySet().stream().mapToInt(String::length).max().orElse(10);
        for (Map.Entry<String, String> e : r.facts().entrySet()) {
            out.printf("%-" + width + "s  %s%n", e.getKey(), e.getValue());
        }
        out.println();
        for (Doctor.Probe p : r.probes()) {
            out.printf("tiny forward  %-7s %-4s  %s%n", p.device(), p.dtype(), p.detail());
        }
        String wanted = device.equals("gpu") ? "cuda:0" : device;
        if (!r.canRun(wanted)) {
            boolean present = r.probes().stream().anyMatch(p -> p.device().equals(wanted));
            out.println();
            out.println("bkd doctor: " + wanted + (present ? " cannot run the tiny forward (see above)"
                    : " is not available: libtorch sees " + r.facts().get("devices")
                            + ". For CUDA see README \"GPU\" (a CUDA libtorch via PYTORCH_LIBRARY_PATH, or"
                            + " BKD_ALLOW_DOWNLOAD=1 with PYTORCH_FLAVOR=cu128)."));
            out.flush();
            return 1;
        }
        out.flush();
        return 0;
    }
}
