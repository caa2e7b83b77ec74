package dev.bkd.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.checkpoint.CheckpointException;
import dev.bkd.train.checkpoint.CheckpointManager;
import dev.bkd.train.checkpoint.TrainerState;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.distill.LossWeights;
import dev.bkd.train.optim.AdamW;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13 item 9: training settings that used to be accepted and fail later, or errors that stopped short. */
class ConfigMessagesTest {
    @Test
    void adamEpsilonZeroIsRefusedUpFront() {
        String e = assertThrows(ConfigException.class, () -> new AdamW.Config(0.9, 0.999, 0, 0.01)).getMessage();
        assertTrue(e.contains("--adam-epsilon") && e.contains("must be a finite number > 0, got 0.0"), e);
    }

    @Test
    void allThreeLambdasZeroIsRefused() {
        String e = assertThrows(ConfigException.class, () -> new LossWeights(0, 0, 0)).getMessage();
        assertTrue(e.contains("all three lambdas") && e.contains("would not learn"), e);
        new LossWeights(0, 0, 1);
    }

    @Test
    void aCorruptLatestCheckpointPointsToTheOlderIntactOne(@TempDir Path out) throws Exception {
        CheckpointManager cm = new CheckpointManager(out, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            for (long step : new long[] {100, 200}) {
                cm.save(TrainerState.of(step, DataPosition.start()), Map.of("student", Map.of("w", m.ones(new Shape(4)))));
            }
        }
        Files.write(out.resolve("checkpoint-200/student.safetensors"), new byte[] {1, 2, 3}); // torn by a full disk
        String e = assertThrows(CheckpointException.class,
                () -> cm.loadPointingToIntact(cm.latest().orElseThrow(), Set.of("student"))).getMessage();
        assertTrue(e.contains("checkpoint-200") && e.contains("the older checkpoint-100 is intact: continue from it with"
                + " --resume checkpoint-100"), e);
    }

    /** The start-up line no longer claims a batch the data cannot fill. */
    @Test
    void theStartUpLineSaysWhenTheBatchIsLargerThanTheData() {
        dev.bkd.train.loop.TrainConfig c = dev.bkd.train.loop.TrainConfig.builder().batchSize(4).gradAccum(2).build();
        assertTrue(c.describeBatch(100).equals("8 images per step"), c.describeBatch(100));
        String s = c.describeBatch(3);
        assertTrue(s.startsWith("8 images per step (the data has only 3 items, so each step repeats some"), s);
    }
}
