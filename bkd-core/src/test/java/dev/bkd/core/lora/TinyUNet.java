package dev.bkd.core.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import java.util.List;
import java.util.Map;

/** The tiny reference UNet and its batch-1 reference input (case1), for LoRA tests. */
final class TinyUNet implements AutoCloseable {
    static final List<String> TARGETS = List.of("to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out",
            "ff.net.0.proj");
    final NDManager manager = NDManager.newBaseManager();
    private final Map<String, NDArray> ref = RefData.load(RefData.ref("unet.safetensors"), manager);

    UNet2DConditionModel load() {
        return UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), manager,
                UNet2DConditionModel.Options.defaults());
    }

    NDArray run(UNet2DConditionModel u) {
        return u.forward(ref.get("case1.sample"), ref.get("case1.timestep"), ref.get("case1.encoder_hidden_states"));
    }

    @Override
    public void close() {
        manager.close();
    }
}
