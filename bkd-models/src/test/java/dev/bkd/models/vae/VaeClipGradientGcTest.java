package dev.bkd.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.GcGradients;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import org.junit.jupiter.api.Test;

/** The VAE's and the text encoder's gradients (bkd train-vae, text-encoder LoRA) must not depend on the GC. */
class VaeClipGradientGcTest {
    @Test
    void vaeGradientsDoNotDependOnTheGc() {
        for (int px : new int[] {32, 24}) {
            try (NDManager m = NDManager.newBaseManager()) {
                AutoencoderKL vae = AutoencoderKL.fromPretrained(RefData.models().resolve("vae"), m,
                        Weights.LoadOptions.strictFp32());
                Generator g = new Generator(3);
                NDArray x = g.rand(m, new Shape(2, 3, px, px)).mul(2).sub(1);
                int f = 1 << (vae.config().blockOutChannels().size() - 1);
                NDArray noise = g.randn(m, new Shape(2, vae.config().latentChannels(), px / f, px / f));
                GcGradients.assertStable(vae, m, () -> {
                    DiagonalGaussianDistribution post = vae.encode(x);
                    NDArray z = post.sample(noise);
                    return vae.decode(z).sub(x).square().mean().add(post.kl().mean());
                });
            }
        }
    }

    @Test
    void textEncoderGradientsDoNotDependOnTheGc() {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipTextModel clip = ClipTextModel.fromPretrained(RefData.models().resolve("text_encoder"), m,
                    Weights.LoadOptions.strictFp32());
            NDArray ids = new Generator(4).randint(m, 0, 1000, new Shape(2, 77));
            GcGradients.assertStable(clip, m, () -> clip.forward(ids).lastHiddenState().square().mean());
        }
    }
}
