package dev.bkd.core.lora;

/** The LoRA key layouts bkd reads. */
public enum LoraFormat {
    /** {@code unet.<path>.lora_A.weight} / {@code .lora_B.weight} (diffusers >= 0.22 and PEFT; what bkd writes). */
    PEFT,
    /** {@code unet.<path>.lora.down.weight}, {@code .lora_linear_layer.*}, {@code .processor.to_q_lora.*}. */
    DIFFUSERS_OLD,
    /** {@code lora_unet_<path_with_underscores>.lora_down.weight} / {@code .lora_up.weight} / {@code .alpha}. */
    KOHYA
}
