package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.train.log.ImageGrid;
import dev.bkd.train.optim.Autograd;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Validation images while training: a pipeline loaded once from a folder whose UNet has the trained model's layout
 * gets the live weights copied in, then draws every prompt with fixed seeds (the same noise at every validation,
 * so grids from different steps compare) into {@code samples/step-NNNNNN.png}: one column per prompt, one row
 * per seed.
 */
public final class SampleValidator implements Validator, AutoCloseable {
    private final DiffusionPipeline pipeline;
    private final Map<String, NDArray> weights;
    private final List<String> prompts;
    private final int steps;
    private final double guidance;
    private final List<Long> seeds;

    /** {@code weights} are the live trained tensors, by the pipeline UNet's parameter names. */
    public SampleValidator(Path pipelineFolder, Map<String, NDArray> weights, List<String> prompts, int steps,
                           double guidance, List<Long> seeds) {
        this.pipeline = DiffusionPipeline.fromPretrained(pipelineFolder, PipelineOptions.defaults());
        this.weights = weights;
        this.prompts = List.copyOf(prompts);
        this.steps = steps;
        this.guidance = guidance;
        this.seeds = List.copyOf(seeds);
        Map<String, NDArray> target = Weights.stateDict(pipeline.unet());
        if (!target.keySet().equals(weights.keySet())) {
            pipeline.close();
            throw new IllegalArgumentException("validation pipeline " + pipelineFolder
                    + ": its UNet does not have the trained model's parameters");
        }
    }

    @Override
    public void validate(long step, Path folder) {
        Map<String, NDArray> target = Weights.stateDict(pipeline.unet());
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            weights.forEach((k, v) -> v.copyTo(target.get(k)));
        }
        List<List<BufferedImage>> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (long seed : seeds) {
            GenerationRequest req = GenerationRequest.builder().prompts(prompts).steps(steps).guidanceScale(guidance)
                    .seed(seed).build();
            rows.add(pipeline.generate(req).images());
            labels.add("seed " + seed);
        }
        try {
            Files.createDirectories(folder);
        } catch (java.io.IOException e) {
            throw new dev.bkd.core.BkdException("cannot create " + folder + ": " + e.getMessage(), e);
        }
        ImageGrid.write(folder.resolve(String.format(Locale.ROOT, "step-%06d.png", step)), rows, labels,
                prompts.stream().map(p -> ImageGrid.wrap(p, 18)).toList(), 3);
    }

    @Override
    public void close() {
        pipeline.close();
    }
}
