package dev.bkd.train.vae;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.vae.AutoencoderKL;
import dev.bkd.models.vae.DiagonalGaussianDistribution;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.EpochSampler;
import dev.bkd.train.data.ImageBatches;
import dev.bkd.train.data.ImageTransform;
import dev.bkd.train.log.StepMetrics;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.core.djl.Autograd;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training the tiny reference pipeline's VAE on 32 px shapes. */
class VaeTrainerTest {
    @TempDir
    Path tmp;

    @Test
    void reconstructionImprovesAndTheScalingFactorWhitensTheLatents() {
        Path data = tmp.resolve("data");
        ShapesDataset.write(data, new ShapesDataset.Spec(8, 32, 2), false);
        TrainConfig t = TrainConfig.builder().steps(30).batchSize(4).lr(1e-3).seed(1).checkpointEvery(0).validateEvery(30).build();
        VaeOptions o = new VaeOptions(RefData.models(), new DataOptions(data, null, 32, true, false, null), t, 1e-6,
                tmp.resolve("out"), 8);
        List<StepMetrics> steps = new ArrayList<>();
        try (VaeTrainer v = VaeTrainer.prepare(o)) {
            v.loop().listener(steps::add);
            assertTrue(v.run().completed());
        }
        double first = steps.subList(0, 5).stream().mapToDouble(m -> m.losses().get("rec")).average().orElseThrow();
        double last = steps.subList(25, 30).stream().mapToDouble(m -> m.losses().get("rec")).average().orElseThrow();
        System.out.printf("VAE: reconstruction MSE of steps 1-5 %.4f, of steps 26-30 %.4f%n", first, last);
        assertTrue(last < 0.8 * first, first + " -> " + last);
        assertTrue(Files.isRegularFile(tmp.resolve("out/samples/step-30/reconstructions.png")), "reconstruction grid at the end");

        // the saved scaling factor gives the calibration images' latents unit variance: the variance of
        // z = mean + std * eps over images and elements, from the posterior's moments, computed here
        try (NDManager m = NDManager.newBaseManager(); Autograd.NoGrad ng = Autograd.noGrad()) {
            AutoencoderKL vae = AutoencoderKL.fromPretrained(tmp.resolve("out/vae"), m, Weights.LoadOptions.strictFp32());
            CaptionedDataset ds = CaptionedDataset.open(data, DatasetOptions.defaults());
            NDArray pixels = new ImageBatches(ds, new ImageTransform(32, true, false),
                    new EpochSampler(8, 0, false, DataPosition.start()), 8, false).next(m).pixels();
            DiagonalGaussianDistribution post = vae.encode(pixels);
            float[] mean = post.mean().toFloatArray();
            float[] var = post.var().toFloatArray();
            double s = 0;
            double s2 = 0;
            for (int i = 0; i < mean.length; i++) {
                s += mean[i];
                s2 += (double) mean[i] * mean[i] + var[i];
            }
            double zvar = s2 / mean.length - (s / mean.length) * (s / mean.length);
            double scaled = Math.sqrt(zvar) * vae.scalingFactor();
            assertEquals(1.0, scaled, 1e-4);
        }
    }
}
