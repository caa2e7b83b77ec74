package dev.bkd.core.lora;

import java.util.List;

/**
 * How fresh adapters are made: rank r, alpha (the update is scaled by alpha / r, as in PEFT) and the target
 * layers. A target matches a layer whose dotted path equals it or ends with {@code "." + target} (PEFT's
 * {@code target_modules} list rule), e.g. {@code to_out.0} or {@code ff.net.0.proj}.
 */
public record LoraConfig(int rank, double alpha, List<String> targets) {
    /** The diffusers default for UNet LoRA: the four attention projections. */
    public static final List<String> UNET_ATTENTION = List.of("to_q", "to_k", "to_v", "to_out.0");
    /** The diffusers default for CLIP text-encoder LoRA. */
    public static final List<String> TEXT_ENCODER_ATTENTION = List.of("q_proj", "k_proj", "v_proj", "out_proj");

    public LoraConfig {
        if (rank < 1) {
            throw new LoraException("LoRA rank must be >= 1, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new LoraException("LoRA alpha must be finite and > 0, got " + alpha);
        }
        if (targets == null || targets.isEmpty()) {
            throw new LoraException("LoRA needs at least one target layer name");
        }
        for (String t : targets) {
            if (t == null || t.isBlank() || t.startsWith(".") || t.endsWith(".")) {
                throw new LoraException("LoRA target `" + t + "` is not a layer name");
            }
        }
        targets = List.copyOf(targets);
    }

    /** UNet attention projections. */
    public static LoraConfig unet(int rank, double alpha) {
        return new LoraConfig(rank, alpha, UNET_ATTENTION);
    }

    /** CLIP attention projections. */
    public static LoraConfig textEncoder(int rank, double alpha) {
        return new LoraConfig(rank, alpha, TEXT_ENCODER_ATTENTION);
    }

    public LoraConfig withTargets(List<String> t) {
        return new LoraConfig(rank, alpha, t);
    }

    /** alpha / r. */
    public double scaling() {
        return alpha / rank;
    }

    /** True when the layer at dotted {@code path} is a target. */
    public boolean targets(String path) {
        for (String t : targets) {
            if (path.equals(t) || path.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }
}
