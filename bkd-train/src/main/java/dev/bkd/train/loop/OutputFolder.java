package dev.bkd.train.loop;

import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.train.checkpoint.CheckpointManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Checks a run's output folder before anything is loaded. */
public final class OutputFolder {
    private OutputFolder() {}

    /**
     * The output must not overlap the model it trains from, and a folder holding another run's checkpoints is only
     * continued with {@code resume}, never mixed into.
     */
    public static void check(Path out, Path model, String what, String resume) {
        Path o = out.toAbsolutePath().normalize();
        try {
            AtomicFolder.requireApart(out, model, what);
        } catch (BkdException e) {
            throw new ConfigException(e.getMessage());
        }
        if (resume != null || !Files.isDirectory(o)) {
            return;
        }
        try (Stream<Path> s = Files.list(o)) {
            if (s.anyMatch(p -> p.getFileName().toString().startsWith(CheckpointManager.PREFIX))) {
                throw new ConfigException(out + " holds checkpoints of an earlier run; continue it with --resume"
                        + " latest, or choose another --out");
            }
        } catch (IOException e) {
            throw new BkdException(out + ": cannot list: " + e.getMessage(), e);
        }
    }
}
