package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import java.util.Map;

/** What the img2img reference tests share: the reference tensors and the tiny 4-channel pipeline. */
record Img2ImgFixture(NDManager manager, Map<String, NDArray> ref, DiffusionPipeline pipe) implements AutoCloseable {

    static Img2ImgFixture open() {
        NDManager manager = NDManager.newBaseManager();
        Map<String, NDArray> ref = RefData.load(RefData.file("img2img", "ref/img2img.safetensors"), manager);
        return new Img2ImgFixture(manager, ref, DiffusionPipeline.fromPretrained(RefData.models(),
                PipelineOptions.defaults()));
    }

    @Override
    public void close() {
        pipe.close();
        manager.close();
    }
}
