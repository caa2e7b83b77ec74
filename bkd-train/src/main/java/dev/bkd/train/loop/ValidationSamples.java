package dev.bkd.train.loop;

import ai.djl.Device;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.models.pipeline.Rng;
import dev.bkd.train.loop.Validator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Validation samples like BK-SDM's: for each prompt (seed = base seed + its index) the teacher's image once
 * ({@code teacher/}) and the student's at each validation ({@code step-N/}), by the text-to-image pipeline with the
 * student's live weights in place of the teacher's UNet ({@link DiffusionPipeline#withUnet}): nothing is written
 * or reloaded, and no gradient is recorded.
 */
public final class ValidationSamples implements Validator {
    /**
     * A scratch folder under a run's output that validators may use (LoRA validation saves its adapters there);
     * the run removes it when it closes.
     */
    public static final String SCRATCH = ".validation-pipeline";

    private final Path teacher;
    private final UNet2DConditionModel student;
    private final List<String> prompts;
    private final int steps;
    private final long seed;
    private final Device device;

    public ValidationSamples(Path teacher, UNet2DConditionModel student, List<String> prompts, int steps, long seed,
                          Device device) {
        this.teacher = teacher;
        this.student = student;
        this.prompts = List.copyOf(prompts);
        this.steps = steps;
        this.seed = seed;
        this.device = device;
    }

    @Override
    public void validate(long step, Path folder) {
        try (DiffusionPipeline t = DiffusionPipeline.fromPretrained(teacher, PipelineOptions.defaults().withDevice(device))) {
            Path teacherDir = folder.resolve("teacher");
            if (!Files.isDirectory(teacherDir)) {
                sample(t, prompts, steps, seed, teacherDir);
            }
            try (DiffusionPipeline s = t.withUnet(student, t.modelName() + " trained to step " + step);
                    Autograd.NoGrad ng = Autograd.noGrad()) {
                sample(s, prompts, steps, seed, folder.resolve("step-" + step));
            }
        }
    }

    /** One image per prompt into {@code into}, prompt i with seed {@code seed + i}: how every bkd trainer validates. */
    public static void sample(DiffusionPipeline p, List<String> prompts, int steps, long seed, Path into) {
        for (int i = 0; i < prompts.size(); i++) {
            // bkd's own generator, as when the shipped demo results were recorded
            p.generate(GenerationRequest.builder(prompts.get(i)).steps(steps).seed(seed + i).rng(Rng.BKD).build())
                    .save(into);
        }
    }
}
