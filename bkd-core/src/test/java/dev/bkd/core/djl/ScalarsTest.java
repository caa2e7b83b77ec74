package dev.bkd.core.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.bkd.core.testing.DirectMemoryChurn;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The gradient through {@code x * c} and {@code x / c} must not depend on what the GC did between forward and
 * backward. With DJL's {@code mul(Number)} this test fails (the saved scalar's buffer is freed and reused).
 */
class ScalarsTest {
    @Test
    void gradientsSurviveAGcBetweenForwardAndBackward() {
        float[] ones = {1f, 1f, 1f, 1f};
        assertArrayEquals(new float[] {3f, 3f, 3f, 3f}, gradAfterGc(x -> Scalars.mul(x, 3.0)), 0f);
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, gradAfterGc(x -> Scalars.div(x, 4.0)), 0f);
        assertArrayEquals(ones, gradAfterGc(x -> Scalars.mul(x, 1.0)), 0f);
    }

    @Test
    void clampMatchesTorchClampIncludingItsGradientAtTheBounds() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {-2f, -1f, 0f, 0.5f, 1f, 2f});
            x.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = Scalars.clamp(x, -1, 1);
                NDArray loss = y.sum();
                DirectMemoryChurn.run();
                gc.backward(loss);
            }
            assertArrayEquals(new float[] {-1f, -1f, 0f, 0.5f, 1f, 1f}, y.toFloatArray(), 0f);
            // torch.clamp passes the gradient where lo <= x <= hi, bounds included
            assertArrayEquals(new float[] {0f, 1f, 1f, 1f, 1f, 0f}, x.getGradient().toFloatArray(), 0f);
        }
    }

    private static float[] gradAfterGc(UnaryOperator<NDArray> op) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f, 2f, 3f, 4f});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = op.apply(x).sum();
                DirectMemoryChurn.run();
                gc.backward(y);
            }
            return x.getGradient().toFloatArray();
        }
    }
}
