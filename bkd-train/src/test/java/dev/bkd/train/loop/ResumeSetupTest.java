package dev.bkd.train.loop;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.bkd.train.checkpoint.CheckpointException;
import dev.bkd.train.checkpoint.RunSetup;
import dev.bkd.train.log.ProgressBar;
import dev.bkd.train.loop.TrainingLoopTest.Items;
import dev.bkd.train.loop.TrainingLoopTest.Toy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 4: {@code --resume} used to accept a different teacher, data, batch, lr, seed, ... without a word.
 * The setup is recorded in every checkpoint; a resume under another setup, from a checkpoint outside {@code --out},
 * or with {@code --steps} below the checkpoint's step is refused, listing the differences, unless
 * {@code --allow-changed-setup}.
 */
class ResumeSetupTest {
    private static TrainResult run(TrainConfig c, String data, Path out, NDManager m) {
        return new TrainingLoop(c, new Toy(m, "toy"), new Items(c.batchSize()), TrainingLoopTest.DDPM, out, m)
                .setup(RunSetup.empty().with("teacher", "T").with("data", data))
                .progress(new ProgressBar(new PrintStream(new ByteArrayOutputStream()), c.steps(), false, 1000,
                        System::nanoTime))
                .run();
    }

    @Test
    void aChangedSetupIsRefusedListingEveryDifferenceUnlessAllowed(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            run(TrainingLoopTest.cfg().steps(2).build(), "A", tmp, m);
            TrainConfig changed = TrainingLoopTest.cfg().steps(4).batchSize(4).lr(2e-2).seed(7).resume("latest").build();
            String e = assertThrows(CheckpointException.class, () -> run(changed, "B", tmp, m)).getMessage();
            for (String d : new String[] {"batch: 2 in the checkpoint, 4 now", "lr: 0.01 in the checkpoint, 0.02 now",
                    "seed: 0 in the checkpoint, 7 now", "data: A in the checkpoint, B now", "--allow-changed-setup"}) {
                assertTrue(e.contains(d), "expected `" + d + "` in: " + e);
            }
            assertTrue(!e.contains("teacher"), "unchanged settings are not listed: " + e);
            assertTrue(run(changed.toBuilder().allowChangedSetup(true).build(), "B", tmp, m).completed());
            // the same setup resumes without a word
            assertTrue(run(changed.toBuilder().steps(6).build(), "B", tmp, m).completed());
        }
    }

    @Test
    void stepsBelowTheCheckpointAndACheckpointOutsideOutAreRefused(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            run(TrainingLoopTest.cfg().steps(4).build(), "A", tmp.resolve("a"), m);
            String e = assertThrows(CheckpointException.class,
                    () -> run(TrainingLoopTest.cfg().steps(2).resume("latest").build(), "A", tmp.resolve("a"), m))
                    .getMessage();
            assertTrue(e.contains("is at step 4 but --steps is 2"), e);
            String other = tmp.resolve("a/checkpoint-4").toString();
            TrainConfig outside = TrainingLoopTest.cfg().steps(6).resume(other).build();
            e = assertThrows(CheckpointException.class, () -> run(outside, "A", tmp.resolve("b"), m)).getMessage();
            assertTrue(e.contains("the checkpoint is not in --out " + tmp.resolve("b")), e);
            assertTrue(run(outside.toBuilder().allowChangedSetup(true).build(), "A", tmp.resolve("b"), m).completed());
        }
    }
}
