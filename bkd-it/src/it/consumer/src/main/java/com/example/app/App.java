package com.example.app;

import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.GenerationResult;
import dev.bkd.models.pipeline.PipelineOptions;
import java.nio.file.Path;
import java.util.List;

/** The README's "Use bkd in your app" main: load a diffusers folder, generate, save PNGs. */
public final class App {
    public static List<Path> run(Path model, String prompt, Path out) throws Exception {
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(model.toString(), PipelineOptions.defaults())) {
            GenerationResult result = pipe.generate(GenerationRequest.builder(prompt)
                    .steps(5).width(64).height(64).seed(42L).build());
            return result.save(out);
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println(run(Path.of(args[0]), args[1], Path.of(args[2])));
    }
}
