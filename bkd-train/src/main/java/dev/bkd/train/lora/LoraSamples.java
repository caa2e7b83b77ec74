package dev.bkd.train.lora;

import ai.djl.Device;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.train.loop.ValidationSamples;
import dev.bkd.train.loop.Validator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Validation samples of a LoRA run: the base pipeline's images once ({@code base/}), then at each validation
 * ({@code step-N/}) the base pipeline with the adapters' current weights loaded from a scratch file, exactly as
 * {@code bkd generate --lora FILE} would draw them. Prompt i uses seed = run seed + i.
 */
final class LoraSamples implements Validator {
    private final Path base;
    private final Map<String, LoraAdapter> adapters;
    private final List<String> prompts;
    private final int steps;
    private final long seed;
    private final Device device;
    private final Path scratch;

    LoraSamples(Path base, Map<String, LoraAdapter> adapters, List<String> prompts, int steps, long seed, Device device,
                Path scratch) {
        this.base = base;
        this.adapters = Map.copyOf(adapters);
        this.prompts = List.copyOf(prompts);
        this.steps = steps;
        this.seed = seed;
        this.device = device;
        this.scratch = scratch;
    }

    @Override
    public void validate(long step, Path folder) {
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(base, PipelineOptions.defaults().withDevice(device))) {
            Path baseDir = folder.resolve("base");
            if (!Files.isDirectory(baseDir)) {
                ValidationSamples.sample(p, prompts, steps, seed, baseDir);
            }
            Path file = LoraFiles.save(scratch, adapters);
            p.loadLora(file, 1.0, "validation", true);
            ValidationSamples.sample(p, prompts, steps, seed, folder.resolve("step-" + step));
        }
    }
}
