package dev.bkd.core.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.GcGradients;
import dev.bkd.core.testing.RefData;
import org.junit.jupiter.api.Test;

/**
 * The UNet's gradients must not depend on the GC (see {@link GcGradients}). 4x4 latents (32 px images, what the
 * training tests and the demo use) take the odd-size nearest-upsampling path, which once kept a Java-backed
 * selection matrix for backward; 16x16 takes the plain x2 path.
 */
class UNetGradientGcTest {
    @Test
    void gradientsDoNotDependOnTheGc() {
        for (int hw : new int[] {4, 16}) {
            try (NDManager m = NDManager.newBaseManager();
                 UNet2DConditionModel u = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), m,
                         UNet2DConditionModel.Options.defaults())) {
                Generator g = new Generator(5);
                UNet2DConditionConfig c = u.config();
                NDArray x = g.randn(m, new Shape(4, c.inChannels(), hw, hw));
                NDArray t = g.randint(m, 0, 1000, new Shape(4));
                NDArray ctx = g.randn(m, new Shape(4, 77, c.crossAttentionDim().get(0)));
                GcGradients.assertStable(u, m, () -> u.forward(x, t, ctx).square().mean());
            }
        }
    }
}
