package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bkd.core.testing.RefData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Java API" snippet, verbatim between the markers, so it keeps compiling and running. */
class ReadmeSnippetTest {
    @TempDir
    Path tmp;

    @Test
    void readmeSnippetRuns() {
        String modelFolder = RefData.models().toString(); // the README uses "runwayml/stable-diffusion-v1-5"
        Path outputs = tmp.resolve("outputs");
        // README snippet begins
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(modelFolder,
                PipelineOptions.defaults().withScheduler("euler-a"))) {
            GenerationRequest request = GenerationRequest.builder("a photo of an astronaut riding a horse")
                    .negativePrompt("blurry").steps(25).guidanceScale(7.5).seed(42L)
                    .progress((step, total, t) -> System.out.printf("step %d/%d%n", step, total))
                    .build();
            GenerationResult result = pipe.generate(request);
            List<Path> files = result.save(outputs); // PNGs with a "parameters" text chunk
            // README snippet ends
            assertEquals(List.of(outputs.resolve("00000-42.png")), files);
        }
    }
}
