package dev.bkd.models.pipeline;

import dev.bkd.core.singlefile.LdmComponent;
import java.util.List;

/**
 * The standard single-file architectures bkd infers, with the diffusers repositories whose configs describe
 * them, like diffusers' {@code DIFFUSERS_DEFAULT_PIPELINE_PATHS} (v1, v2). A file is v2 when its UNet
 * cross-attends to 1024-wide OpenCLIP embeddings; everything else is taken as v1, as diffusers does.
 */
enum LdmModelType {
    V1("SD1.x", 768, LdmComponent.TEXT_CLIP,
            List.of("stable-diffusion-v1-5/stable-diffusion-v1-5", "runwayml/stable-diffusion-v1-5",
                    "CompVis/stable-diffusion-v1-4")),
    V2("SD2.x (768, v-prediction)", 1024, LdmComponent.TEXT_OPENCLIP, List.of("stabilityai/stable-diffusion-2-1"));

    final String label;
    final int crossAttentionDim;
    final LdmComponent text;
    final List<String> repos;

    LdmModelType(String label, int crossAttentionDim, LdmComponent text, List<String> repos) {
        this.label = label;
        this.crossAttentionDim = crossAttentionDim;
        this.text = text;
        this.repos = repos;
    }

    static LdmModelType infer(long crossAttentionDim) {
        return crossAttentionDim == V2.crossAttentionDim ? V2 : V1;
    }
}
