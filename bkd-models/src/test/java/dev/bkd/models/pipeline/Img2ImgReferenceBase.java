package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the img2img reference tests share: the reference tensors (ref/img2img.safetensors) and the tiny 4-channel
 * pipeline, opened once per test class (JUnit runs these before a subclass's own {@code @BeforeAll} and closes
 * them after its {@code @AfterAll}).
 */
abstract class Img2ImgReferenceBase {
    static NDManager manager;
    static Map<String, NDArray> ref;
    static DiffusionPipeline pipe;

    @BeforeAll
    static void openReference() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.file("img2img", "ref/img2img.safetensors"), manager);
        pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults());
    }

    @AfterAll
    static void closeReference() {
        pipe.close();
        manager.close();
    }
}
