package dev.bkd.core.lora;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** One named adapter across a model: its weights on every layer it touches, by the layer's dotted path. */
public final class LoraAdapter {
    /** PEFT's parameter-name suffixes. */
    public static final String A_SUFFIX = ".lora_A.weight";
    public static final String B_SUFFIX = ".lora_B.weight";

    private final String name;
    private final Map<String, LoraWeights> layers;

    LoraAdapter(String name, Map<String, LoraWeights> layers) {
        this.name = name;
        this.layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
    }

    public String name() {
        return name;
    }

    /** Weights by layer path ({@code down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q}). */
    public Map<String, LoraWeights> layers() {
        return layers;
    }

    /**
     * The trainable tensors by PEFT name ({@code <path>.lora_A.weight}, {@code <path>.lora_B.weight}): live
     * arrays an optimizer updates in place.
     */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, LoraWeights> e : layers.entrySet()) {
            out.put(e.getKey() + A_SUFFIX, e.getValue().loraA());
            out.put(e.getKey() + B_SUFFIX, e.getValue().loraB());
        }
        return out;
    }

    /** Records gradients for A and B (or stops). Freeze the base with {@code Weights.setTrainable(root, false)}. */
    public void setTrainable(boolean trainable) {
        for (NDArray p : parameters().values()) {
            p.setRequiresGradient(trainable);
        }
    }

    /** Sets the user multiplier on every layer (diffusers' adapter weight / lora scale). */
    public void setScale(double scale) {
        for (LoraWeights w : layers.values()) {
            w.setScale(scale);
        }
    }

    /** The user multiplier (the same on every layer). */
    public double scale() {
        return layers.values().iterator().next().scale();
    }

    /** Number of scalar parameters. */
    public long parameterCount() {
        long n = 0;
        for (NDArray p : parameters().values()) {
            n += p.getShape().size();
        }
        return n;
    }
}
