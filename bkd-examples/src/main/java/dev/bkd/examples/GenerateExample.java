package dev.bkd.examples;

import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.GenerationResult;
import dev.bkd.models.pipeline.PipelineOptions;
import java.nio.file.Path;

/**
 * Text to image: load a Stable Diffusion pipeline, describe the picture, save it as a PNG.
 *
 * <pre>GenerateExample [model] [prompt] [out] [steps] [size]</pre>
 * <ul>
 *   <li>model: a diffusers pipeline folder, or a hub id found in the local Hugging Face cache (nothing is
 *       downloaded); default {@code runwayml/stable-diffusion-v1-5}</li>
 *   <li>prompt: default "a photo of an astronaut riding a horse"</li>
 *   <li>out: folder for the PNGs, default {@code outputs}</li>
 *   <li>steps: denoising steps, default 25</li>
 *   <li>size: image side in pixels (a multiple of 8), default the model's own (512 for SD1.5)</li>
 * </ul>
 */
public final class GenerateExample {
    private GenerateExample() {}

    public static void main(String[] args) {
        // DJL must neither phone home nor download anything; set before its first class loads
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        String model = args.length > 0 ? args[0] : "runwayml/stable-diffusion-v1-5";
        String prompt = args.length > 1 ? args[1] : "a photo of an astronaut riding a horse";
        Path out = Path.of(args.length > 2 ? args[2] : "outputs");
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 25;
        Integer size = args.length > 4 ? Integer.valueOf(args[4]) : null; // null: the model's default

        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(model,
                PipelineOptions.defaults().withScheduler("euler-a"))) {
            GenerationRequest request = GenerationRequest.builder(prompt)
                    .negativePrompt("blurry")
                    .steps(steps)
                    .guidanceScale(7.5)
                    .seed(42L) // same seed, same picture
                    .width(size).height(size)
                    .progress((step, total, t) -> System.out.printf("step %d/%d%n", step, total))
                    .build();
            GenerationResult result = pipe.generate(request);
            // each PNG carries its prompt, seed and settings in a "parameters" text chunk (the A1111 line)
            for (Path file : result.save(out)) {
                System.out.println("wrote " + file);
            }
        }
    }
}
