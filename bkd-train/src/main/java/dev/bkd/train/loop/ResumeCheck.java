package dev.bkd.train.loop;

import dev.bkd.train.checkpoint.Checkpoint;
import dev.bkd.train.checkpoint.CheckpointException;
import dev.bkd.train.checkpoint.RunSetup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code --resume} refuses: a checkpoint at a step beyond {@code --steps} (the run would train nothing and
 * export the checkpoint as if finished), and, unless {@link TrainConfig#allowChangedSetup}, a checkpoint outside the
 * output folder or one whose recorded {@link RunSetup} differs from this run's. The override is logged with every
 * difference.
 */
final class ResumeCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ResumeCheck.class);

    private ResumeCheck() {}

    static void check(Checkpoint c, Path out, TrainConfig cfg, RunSetup now) {
        Path dir = c.dir();
        if (c.step() > cfg.steps()) {
            throw new CheckpointException(dir + ": is at step " + c.step() + " but --steps is " + cfg.steps()
                    + "; --steps counts from the start of the run, so ask for more than " + c.step());
        }
        List<String> problems = new ArrayList<>();
        if (!real(dir.getParent()).equals(real(out))) {
            problems.add("the checkpoint is not in --out " + out + " (a checkpoint of another run)");
        }
        RunSetup was = RunSetup.fromJson(c.state().extra().get(RunSetup.KEY));
        if (was == null) {
            LOG.warn("{}: written before bkd recorded the run setup in checkpoints; the setup cannot be compared", dir);
        } else {
            problems.addAll(now.differences(was));
        }
        if (problems.isEmpty()) {
            return;
        }
        String list = String.join("\n  ", problems);
        if (cfg.allowChangedSetup()) {
            LOG.warn("--allow-changed-setup: resuming from {} although\n  {}", dir, list);
            return;
        }
        throw new CheckpointException(dir + ": this run is set up differently from the checkpoint:\n  " + list
                + "\nresume with the checkpoint's settings, or pass --allow-changed-setup to continue anyway"
                + " (the differences are then logged)");
    }

    private static Path real(Path p) {
        Path a = p.toAbsolutePath().normalize();
        try {
            return a.toRealPath();
        } catch (IOException e) {
            return a;
        }
    }
}
