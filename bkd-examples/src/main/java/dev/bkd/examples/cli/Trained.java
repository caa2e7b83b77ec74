package dev.bkd.examples.cli;

import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a training command prints when its run ends. */
final class Trained {
    private Trained() {}

    static void report(PrintWriter w, TrainResult r, Path out) {
        report(w, r, out, "pipeline: ", out);
    }

    /** {@code what} names the result at {@code result} (a pipeline folder, a LoRA file). */
    static void report(PrintWriter w, TrainResult r, Path out, String what, Path result) {
        Path o = out.toAbsolutePath().normalize();
        if (!r.completed()) {
            w.printf("stopped at step %d (%s); checkpoint %s; continue with --resume latest%n", r.step(), r.stoppedBy(),
                    r.lastCheckpoint());
        } else {
            w.printf("trained %d steps; %s %s%n", r.step(), what, result.toAbsolutePath().normalize());
        }
        w.printf("metrics:    %s%n", o.resolve(TrainingLoop.METRICS));
        w.printf("loss curve: %s%n", o.resolve(TrainingLoop.PLOT));
        if (Files.isDirectory(o.resolve(TrainingLoop.SAMPLES))) {
            w.printf("samples:    %s%n", o.resolve(TrainingLoop.SAMPLES));
        }
        w.flush();
    }
}
