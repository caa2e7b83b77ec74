package dev.bkd.examples.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ClipVisionConfig;
import dev.bkd.models.clip.ClipVisionTransformer;
import dev.bkd.models.inception.InceptionV3;
import java.util.Arrays;
import java.util.Locale;

/**
 * Images per second of the two feature extractors at their real sizes, random weights (speed does not depend on
 * the values): the CLIP ViT-L/14 image tower (openai/clip-vit-large-patch14, 224 px, what CLIP score and FD-CLIP
 * run) and pytorch-fid's Inception-v3 on 512 px pictures (resized to 299 inside). Batched, fp32, CPU.
 * Usage: {@code EvalFeaturesBenchmark [batch] [repeats]}.
 */
public final class EvalFeaturesBenchmark {
    private EvalFeaturesBenchmark() {}

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        try (NDManager m = NDManager.newBaseManager()) {
            ClipVisionConfig l14 = new ClipVisionConfig(1024, 4096, 768, 24, 16, 3, 224, 14, "quick_gelu", 1e-5);
            ClipVisionTransformer clip = new ClipVisionTransformer(l14);
            clip.initializeRandom(m, DataType.FLOAT32);
            report("CLIP ViT-L/14 image tower, 224 px", batch, repeats, m, new Shape(batch, 3, 224, 224),
                    x -> clip.forward(x).pooled());
            InceptionV3 inception = new InceptionV3();
            inception.initializeRandom(m, DataType.FLOAT32);
            report("FID Inception-v3, 512 px in (299 inside)", batch, repeats, m, new Shape(batch, 3, 512, 512),
                    inception::features);
        }
        // the d x d route of the Fréchet distance at FID's 2048 dimensions (more samples than dimensions)
        java.util.Random r = new java.util.Random(0);
        float[][][] sets = new float[2][2100][2048];
        for (float[][] set : sets) {
            for (float[] row : set) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = (float) r.nextGaussian();
                }
            }
        }
        long t0 = System.nanoTime();
        double fd = dev.bkd.models.eval.FrechetDistance.between(sets[0], sets[1]);
        System.out.printf(Locale.ROOT, "Fréchet distance, 2 x 2100 samples of 2048-d: %.1f s (d² %.4f)%n",
                (System.nanoTime() - t0) / 1e9, fd);
    }

    private static void report(String what, int batch, int repeats, NDManager m, Shape shape,
            java.util.function.UnaryOperator<NDArray> run) {
        double[] s = new double[repeats + 1];
        for (int r = 0; r <= repeats; r++) {
            try (NDManager scope = m.newSubManager()) {
                NDArray x = scope.randomUniform(0, 1, shape);
                long t0 = System.nanoTime();
                run.apply(x).toFloatArray();
                s[r] = (System.nanoTime() - t0) / 1e9;
            }
        }
        double[] timed = Arrays.copyOfRange(s, 1, s.length); // the first call warms up
        Arrays.sort(timed);
        double median = timed[timed.length / 2];
        System.out.printf(Locale.ROOT, "%s: batch %d, median %.2f s -> %.2f images/s (runs %s)%n", what, batch,
                median, batch / median, Arrays.toString(timed));
    }
}
