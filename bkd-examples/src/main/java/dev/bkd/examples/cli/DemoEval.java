package dev.bkd.examples.cli;

import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.models.pipeline.Rng;
import dev.bkd.train.data.Images;
import dev.bkd.examples.shapes.PromptFollowing;
import dev.bkd.train.shapes.Scene;
import dev.bkd.examples.shapes.SceneReader;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompt following of one pipeline: every prompt of the fixed set drawn once per seed (all prompts in one batch
 * per seed, so teacher and student start from the same noise), each picture read back by {@link SceneReader}.
 */
final class DemoEval {
    /** Evaluation defaults shared by {@code demo} and {@code demo-score}, so their numbers compare. */
    static final String SEEDS = "4";
    static final String SAMPLE_STEPS = "20";
    /** Low guidance: at 4 and above both models draw more wrong shapes (measured over 180 images per setting). */
    static final String GUIDANCE = "2.0";

    /** The pictures (one row per seed, one column per prompt) and their score. */
    record Result(List<List<BufferedImage>> rows, PromptFollowing score, double seconds) {}

    private DemoEval() {}

    /** A two-line column label: "red circle" / "on green". */
    static String label(Scene s) {
        return s.colour().word() + " " + s.kind().word() + "\non " + s.background().word();
    }

    static Result run(Path pipeline, List<Scene> prompts, List<Long> seeds, int steps, double guidance,
            String label, PrintWriter log) {
        long t0 = System.nanoTime();
        List<String> texts = prompts.stream().map(Scene::caption).toList();
        PromptFollowing score = new PromptFollowing();
        List<List<BufferedImage>> rows = new ArrayList<>();
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(pipeline, PipelineOptions.defaults())) {
            for (long seed : seeds) {
                log.printf("  %s: %d prompts, seed %d, %d steps%n", label, texts.size(), seed, steps);
                log.flush();
                List<BufferedImage> images = p.generate(GenerationRequest.builder().prompts(texts).steps(steps)
                        .guidanceScale(guidance).seed(seed).rng(Rng.BKD).build()).images();
                for (int i = 0; i < images.size(); i++) {
                    score.add(prompts.get(i), SceneReader.read(Images.toRgb(images.get(i))));
                }
                rows.add(images);
            }
        }
        return new Result(rows, score, (System.nanoTime() - t0) / 1e9);
    }
}
