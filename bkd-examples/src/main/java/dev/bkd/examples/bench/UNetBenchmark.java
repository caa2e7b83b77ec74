package dev.bkd.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.io.ProcStatus;
import dev.bkd.core.ops.Ops;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Times the UNet of a preset (default sd15) with random weights on this machine: one forward at 256x256 and
 * 512x512 (latents 32x32 / 64x64, batch 1, 77 text tokens), forward+backward at 256x256, and peak RSS.
 * Usage: {@code UNetBenchmark [preset] [repeats]}.
 */
public final class UNetBenchmark {
    private UNetBenchmark() {}

    public static void main(String[] args) {
        String preset = args.length > 0 ? args[0] : "sd15";
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        UNet2DConditionConfig c = UNet2DConditionConfig.preset(preset);
        int ctx = c.crossAttentionDim().get(0);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel unet = new UNet2DConditionModel(c);
            long t0 = System.nanoTime();
            unet.initializeRandom(m, DataType.FLOAT32);
            System.out.printf("%s UNet: %,d parameters, random init %.1f s, ops backend %s, %d intra-op threads%n",
                    preset, unet.parameterCount(), secs(t0), Ops.backend(m.zeros(new Shape(1))),
                    Runtime.getRuntime().availableProcessors());
            NDArray text = m.randomNormal(new Shape(1, 77, ctx));
            forward(unet, m, text, 256, 1, "warm-up");
            for (int i = 0; i < repeats; i++) {
                forward(unet, m, text, 256, 1, "");
            }
            for (int i = 0; i < repeats; i++) {
                forward(unet, m, text, 512, 1, "");
            }
            Weights.setTrainable(unet, true);
            for (int i = 0; i < repeats; i++) {
                backward(unet, m, text, 256);
            }
            System.out.printf("peak RSS (VmHWM): %s%n", peakRss());
        }
    }

    private static void forward(UNet2DConditionModel unet, NDManager m, NDArray text, int image, int batch, String note) {
        try (NDManager s = m.newSubManager()) {
            NDArray x = s.randomNormal(new Shape(batch, 4, image / 8, image / 8));
            long t0 = System.nanoTime();
            NDArray y = unet.forward(x, 500, text);
            y.toFloatArray(); // wait for the result
            System.out.printf("forward %dx%d (latent %dx%d) batch %d: %.2f s %s%n", image, image, image / 8, image / 8,
                    batch, secs(t0), note);
        }
    }

    private static void backward(UNet2DConditionModel unet, NDManager m, NDArray text, int image) {
        try (NDManager s = m.newSubManager()) {
            NDArray x = s.randomNormal(new Shape(1, 4, image / 8, image / 8));
            long t0 = System.nanoTime();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = unet.forward(x, 500, text).square().mean();
                gc.backward(loss);
            }
            System.out.printf("forward+backward %dx%d batch 1: %.2f s%n", image, image, secs(t0));
        }
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String peakRss() {
        return ProcStatus.peakRssKiB().stream().mapToObj(k -> String.format("%.2f GB", k / 1024.0 / 1024.0))
                .findFirst().orElse("unavailable (no VmHWM in /proc/self/status)");
    }
}
