package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.config.ConfigException;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13 item 9: a model_index.json naming an unknown pipeline class was loaded as SD without a word. */
class PipelineClassNameTest {
    @Test
    void anUnknownPipelineClassIsNamed(@TempDir Path dir) throws Exception {
        String index = Files.readString(RefData.models().resolve("model_index.json"))
                .replace("StableDiffusionPipeline", "KandinskyV22Pipeline");
        Files.writeString(dir.resolve("model_index.json"), index);
        String e = assertThrows(ConfigException.class,
                () -> DiffusionPipeline.fromPretrained(dir.toString(), PipelineOptions.defaults())).getMessage();
        assertTrue(e.contains("`_class_name` \"KandinskyV22Pipeline\" is not a pipeline bkd runs")
                && e.contains("StableDiffusionPipeline"), e);
    }
}
