package dev.bkd.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.ops.Ops;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.finetune.FinetuneObjective;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --mixed-precision fp16 as a loop option on the tiny reference UNet: the fine-tuned model's forward runs under
 * autocast, the loss falls, and a run split by a checkpoint resumes to exactly the weights and loss-scaler state of
 * the straight run; without the differentiable cast (pure-DJL ops) the loop refuses to start.
 */
class MixedPrecisionLoopTest {
    private static TrainConfig.Builder cfg() {
        return TrainConfig.builder().steps(6).batchSize(2).lr(1e-3).checkpointEvery(0).keepLast(0)
                .mixedPrecision("fp16");
    }

    @Test
    void autocastTrainingLowersTheLossAndResumesExactly(@TempDir Path tmp) throws Exception {
        float[][] straight;
        double before;
        double after;
        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel u = unet(m)) {
            FinetuneObjective o = new FinetuneObjective(u, null, RefData.models());
            before = heldOutLoss(o, m);
            new TrainingLoop(cfg().build(), o, new GradientCheckpointingLoopTest.Latents(), TrainingLoopTest.DDPM,
                    tmp.resolve("a"), m).run();
            after = heldOutLoss(o, m);
            straight = weights(u);
        }
        System.out.printf("fp16 autocast fine-tuning, 6 steps: held-out loss %.5f -> %.5f%n", before, after);
        assertTrue(after < before, "the held-out loss rose from " + before + " to " + after);

        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel u = unet(m)) {
            FinetuneObjective o = new FinetuneObjective(u, null, RefData.models());
            new TrainingLoop(cfg().steps(3).build(), o, new GradientCheckpointingLoopTest.Latents(),
                    TrainingLoopTest.DDPM, tmp.resolve("b"), m).run();
        }
        JsonNode st = ConfigReader.MAPPER.readTree(tmp.resolve("b/checkpoint-3/trainer_state.json").toFile());
        assertEquals(65536.0, st.findValue(TrainingLoop.SCALER).get("scale").asDouble(),
                "no overflow in 3 steps: GradScaler's initial scale");
        assertEquals(3, st.findValue(TrainingLoop.SCALER).get("_growth_tracker").asInt());
        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel u = unet(m)) {
            FinetuneObjective o = new FinetuneObjective(u, null, RefData.models());
            new TrainingLoop(cfg().steps(6).resume("latest").build(), o, new GradientCheckpointingLoopTest.Latents(),
                    TrainingLoopTest.DDPM, tmp.resolve("b"), m).run();
            float[][] resumed = weights(u);
            for (int i = 0; i < straight.length; i++) {
                assertArrayEquals(straight[i], resumed[i], "tensor " + i + ": 3 + 3 resumed steps = 6 steps");
            }
        }
    }

    @Test
    void refusesWhenTheCastWouldCutTheGraph(@TempDir Path tmp) {
        String prev = System.getProperty(Ops.BACKEND_PROPERTY);
        System.setProperty(Ops.BACKEND_PROPERTY, "djl");
        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel u = unet(m)) {
            FinetuneObjective o = new FinetuneObjective(u, null, RefData.models());
            ConfigException e = assertThrows(ConfigException.class, () -> new TrainingLoop(cfg().steps(1).build(), o,
                    new GradientCheckpointingLoopTest.Latents(), TrainingLoopTest.DDPM, tmp, m).run());
            assertTrue(e.getMessage().contains("--mixed-precision") && e.getMessage().contains("autograd graph"),
                    e.getMessage());
        } finally {
            if (prev == null) {
                System.clearProperty(Ops.BACKEND_PROPERTY);
            } else {
                System.setProperty(Ops.BACKEND_PROPERTY, prev);
            }
        }
    }

    private static UNet2DConditionModel unet(NDManager m) {
        return UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), m,
                UNet2DConditionModel.Options.defaults());
    }

    /**
     * The float32 denoising loss on fixed held-out draws: the training batch's latents at 8 fixed noise/timestep
     * draws (a fixed generator, not the loop's), so before and after see the same inputs.
     */
    private static double heldOutLoss(FinetuneObjective o, NDManager parent) {
        o.autocast(false);
        try (NDManager m = parent.newSubManager(); Autograd.NoGrad ng = Autograd.noGrad()) {
            Generator rng = new Generator(1234);
            double sum = 0;
            for (int i = 0; i < 8; i++) {
                CleanBatch clean = new GradientCheckpointingLoopTest.Latents().next(m, rng);
                sum += o.loss(TrainingLoopTest.DDPM.apply(clean, rng, m)).total().getFloat();
            }
            return sum / 8;
        }
    }

    private static float[][] weights(UNet2DConditionModel u) {
        Map<String, NDArray> sd = new LinkedHashMap<>(Weights.stateDict(u));
        float[][] out = new float[sd.size()][];
        int i = 0;
        for (NDArray a : sd.values()) {
            assertEquals(DataType.FLOAT32, a.getDataType(), "master weights stay float32");
            out[i++] = a.toFloatArray();
        }
        return out;
    }
}
