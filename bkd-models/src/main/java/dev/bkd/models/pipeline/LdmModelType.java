package dev.bkd.models.pipeline;

import dev.bkd.core.singlefile.LdmComponent;
import java.util.List;

/**
 * The standard single-file architectures bkd infers, with the diffusers repositories whose configs describe
 * them, like diffusers' {@code DIFFUSERS_DEFAULT_PIPELINE_PATHS} (v1, v2, inpainting, inpainting_v2). A file
 * is v2 when its UNet cross-attends to 1024-wide OpenCLIP embeddings, everything else v1; either is the inpainting
 * model when its first UNet conv takes 9 channels (latents, mask, masked-image latents), as diffusers'
 * {@code infer_diffusers_model_type} decides.
 */
enum LdmModelType {
    V1("SD1.x", 768, 4, LdmComponent.TEXT_CLIP,
            List.of("stable-diffusion-v1-5/stable-diffusion-v1-5", "runwayml/stable-diffusion-v1-5",
                    "CompVis/stable-diffusion-v1-4")),
    V2("SD2.x (768, v-prediction)", 1024, 4, LdmComponent.TEXT_OPENCLIP, List.of("stabilityai/stable-diffusion-2-1")),
    INPAINTING("SD1.x inpainting", 768, 9, LdmComponent.TEXT_CLIP,
            List.of("stable-diffusion-v1-5/stable-diffusion-inpainting", "runwayml/stable-diffusion-inpainting")),
    INPAINTING_V2("SD2.x inpainting", 1024, 9, LdmComponent.TEXT_OPENCLIP,
            List.of("stabilityai/stable-diffusion-2-inpainting"));

    final String label;
    final int crossAttentionDim;
    final int unetInChannels;
    final LdmComponent text;
    final List<String> repos;

    LdmModelType(String label, int crossAttentionDim, int unetInChannels, LdmComponent text, List<String> repos) {
        this.label = label;
        this.crossAttentionDim = crossAttentionDim;
        this.unetInChannels = unetInChannels;
        this.text = text;
        this.repos = repos;
    }

    /** The type for a UNet's cross-attention width and input channels (9: inpainting). */
    static LdmModelType infer(long crossAttentionDim, long unetInChannels) {
        boolean v2 = crossAttentionDim == V2.crossAttentionDim;
        if (unetInChannels == INPAINTING.unetInChannels) {
            return v2 ? INPAINTING_V2 : INPAINTING;
        }
        return v2 ? V2 : V1;
    }
}
