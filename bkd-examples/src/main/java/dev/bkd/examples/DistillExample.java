package dev.bkd.examples;

import dev.bkd.core.prune.PruneSpec;
import dev.bkd.core.prune.Pruner;
import dev.bkd.models.pipeline.HubCache;
import dev.bkd.train.distill.DistillOptions;
import dev.bkd.train.distill.Distiller;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * BK-SDM in two calls: prune a teacher's UNet to the "tiny" student (blocks removed, the rest copied from the
 * teacher), then train it against the frozen teacher (task + output + feature knowledge distillation).
 *
 * <pre>DistillExample [teacher] [data] [out] [steps] [resolution]</pre>
 * <ul>
 *   <li>teacher: a diffusers pipeline folder, or a hub id found in the local Hugging Face cache; default
 *       {@code runwayml/stable-diffusion-v1-5}</li>
 *   <li>data: captioned images (imagefolder with metadata.jsonl, or images with .txt captions); default
 *       {@code data}, e.g. drawn by {@code ./bkd demo-data --out data}</li>
 *   <li>out: default {@code distill}; gets {@code pruned/} (the student before training) and {@code student/}
 *       (the distilled pipeline, loadable by bkd and diffusers)</li>
 *   <li>steps: training steps, default 100; resolution: training image side in pixels, default 512</li>
 * </ul>
 */
public final class DistillExample {
    private DistillExample() {}

    public static void main(String[] args) {
        System.setProperty("OPT_OUT_TRACKING", "true"); // no telemetry, no downloads
        System.setProperty("ai.djl.offline", "true");
        String model = args.length > 0 ? args[0] : "runwayml/stable-diffusion-v1-5";
        Path teacher = Files.isDirectory(Path.of(model)) ? Path.of(model) : HubCache.fromEnvironment().snapshot(model);
        Path data = Path.of(args.length > 1 ? args[1] : "data");
        Path out = Path.of(args.length > 2 ? args[2] : "distill");
        long steps = args.length > 3 ? Long.parseLong(args[3]) : 100;
        int resolution = args.length > 4 ? Integer.parseInt(args[4]) : 512;

        // 1. prune: a complete pipeline folder whose UNet lacks the blocks BK-SDM's "tiny" removes
        Path pruned = out.resolve("pruned");
        Pruner.Result p = Pruner.prune(teacher, PruneSpec.resolve("tiny"), pruned, true);
        System.out.printf("pruned %,d -> %,d UNet parameters (removed %s)%n", p.plan().teacherParameters(),
                p.plan().studentParameters(), String.join(", ", p.plan().removed()));

        // 2. distill: the pruned student learns from the frozen teacher; BK-SDM's loss weights by default
        TrainConfig train = TrainConfig.builder().steps(steps).batchSize(4).lr(5e-5).seed(0).logEvery(10).build();
        DistillOptions options = DistillOptions.builder(teacher, data, out.resolve("student"))
                .student(pruned)
                .resolution(resolution)
                .centerCrop(true)
                .cacheDir(out.resolve("latent-cache")) // images are VAE-encoded once, not on every step
                .train(train)
                .build();
        try (Distiller distiller = Distiller.prepare(options)) {
            TrainResult r = distiller.run();
            System.out.println(r.completed() ? "distilled " + r.step() + " steps: the student pipeline is in "
                    + out.resolve("student") : "stopped at step " + r.step() + " by " + r.stoppedBy());
        }
    }
}
