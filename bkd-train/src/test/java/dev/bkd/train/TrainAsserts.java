package dev.bkd.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.train.log.StepMetrics;
import java.nio.file.Path;
import java.util.Map;

/** Assertions shared by the training tests. */
public final class TrainAsserts {
    private TrainAsserts() {}

    /** Same step, gradient norm and every logged loss (within 1e-6): what a resumed run must reproduce. */
    public static void assertSameStep(StepMetrics expected, StepMetrics actual) {
        assertEquals(expected.step(), actual.step());
        assertEquals(expected.gradNorm(), actual.gradNorm(), 1e-6, "grad norm at step " + expected.step());
        for (Map.Entry<String, Double> e : expected.losses().entrySet()) {
            assertEquals(e.getValue(), actual.losses().get(e.getKey()), 1e-6, e.getKey() + " at step "
                    + expected.step());
        }
    }

    /** Largest |a - b| over every tensor of two saved UNets ({@code unet/} folders) with the same keys. */
    public static double maxUNetWeightDiff(Path unetA, Path unetB) {
        double worst = 0;
        try (NDManager m = NDManager.newBaseManager();
             StateDict x = StateDicts.open(unetA.resolve(UNet2DConditionModel.WEIGHTS_NAME));
             StateDict y = StateDicts.open(unetB.resolve(UNet2DConditionModel.WEIGHTS_NAME))) {
            assertEquals(x.keys(), y.keys());
            for (String k : x.keys()) {
                NDArray d = x.load(k, m).sub(y.load(k, m)).abs().max();
                worst = Math.max(worst, d.getFloat());
            }
        }
        return worst;
    }
}
