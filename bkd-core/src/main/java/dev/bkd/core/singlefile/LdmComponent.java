package dev.bkd.core.singlefile;

/** The parts of an original-layout (LDM / A1111) single file, each mapped by its rules in {@code ldm-keys.txt}. */
public enum LdmComponent {
    UNET("unet", "model.diffusion_model."),
    VAE("vae", "first_stage_model."),
    /** SD1.x: CLIP ViT-L as transformers' CLIPTextModel. */
    TEXT_CLIP("text1", "cond_stage_model.transformer."),
    /** SD2.x: OpenCLIP ViT-H's text tower. */
    TEXT_OPENCLIP("text2", "cond_stage_model.model.");

    private final String rules;
    private final String prefix;

    LdmComponent(String rules, String prefix) {
        this.rules = rules;
        this.prefix = prefix;
    }

    /** The component's name in the rules file. */
    String rulesName() {
        return rules;
    }

    /** Its key prefix inside a full single file. */
    public String prefix() {
        return prefix;
    }
}
