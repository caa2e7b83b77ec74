package dev.bkd.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.finetune.FinetuneObjective;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --gradient-checkpointing} as a loop option: two fine-tuning steps of the tiny reference UNet with it give
 * the weights of two steps without it (float32 AdamW updates from gradients equal up to summation order), and an
 * objective without a UNet refuses it.
 */
class GradientCheckpointingLoopTest {
    /** Fixed (4, 8, 8) latents and (7, 32) text states, two items per batch; positions as {@link TrainingLoopTest.Items}. */
    static final class Latents extends TrainingLoopTest.Items {
        Latents() {
            super(2);
        }

        @Override
        public CleanBatch next(NDManager m, Generator rng) {
            long i = next++;
            Generator g = new Generator(i);
            return new CleanBatch(g.randn(m, new Shape(batch, 4, 8, 8)), g.randn(m, new Shape(batch, 7, 32)),
                    List.of("a " + i, "b " + i));
        }
    }

    @Test
    void checkpointedStepsTrainTheSameWeights(@TempDir Path tmp) {
        Map<String, float[]> plain = train(tmp.resolve("plain"), false);
        Map<String, float[]> ckpt = train(tmp.resolve("ckpt"), true);
        assertEquals(plain.keySet(), ckpt.keySet());
        for (String k : plain.keySet()) {
            float[] a = plain.get(k);
            float[] b = ckpt.get(k);
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
            // lr 1e-4 AdamW moves each weight by ~1e-4 per step; a wrong or missing gradient shows at that size
            assertTrue(worst < 1e-6, k + " differs by " + worst);
        }
    }

    private static Map<String, float[]> train(Path out, boolean checkpointing) {
        try (NDManager m = NDManager.newBaseManager();
             UNet2DConditionModel u = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), m,
                     UNet2DConditionModel.Options.defaults())) {
            Map<String, NDArray> before = Weights.stateDict(u);
            List<float[]> start = new ArrayList<>();
            before.values().forEach(p -> start.add(p.toFloatArray()));
            FinetuneObjective o = new FinetuneObjective(u, null, RefData.models());
            TrainConfig c = TrainConfig.builder().steps(2).batchSize(2).lr(1e-4).checkpointEvery(0).keepLast(0)
                    .gradientCheckpointing(checkpointing).build();
            new TrainingLoop(c, o, new Latents(), TrainingLoopTest.DDPM, out, m).run();
            Map<String, float[]> w = new LinkedHashMap<>();
            int moved = 0;
            int i = 0;
            for (Map.Entry<String, NDArray> e : Weights.stateDict(u).entrySet()) {
                float[] v = e.getValue().toType(DataType.FLOAT32, false).toFloatArray();
                moved += java.util.Arrays.equals(v, start.get(i++)) ? 0 : 1;
                w.put(e.getKey(), v);
            }
            assertTrue(moved > w.size() * 9 / 10, "training moved only " + moved + " of " + w.size() + " tensors");
            return w;
        }
    }

    @Test
    void anObjectiveWithoutAUNetRefusesIt() {
        Objective none = new Objective() {
            public String name() {
                return "toy";
            }

            public Map<String, NDArray> trainable() {
                return Map.of();
            }

            public LossTerms loss(DiffusionBatch b) {
                throw new AssertionError();
            }

            public void save(Path p) {}
        };
        ConfigException e = assertThrows(ConfigException.class, () -> none.gradientCheckpointing(true));
        assertTrue(e.getMessage().contains("toy"), e.getMessage());
    }
}
