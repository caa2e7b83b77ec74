package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraLayer;
import dev.bkd.core.lora.LoraWeights;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.Finite;
import dev.bkd.core.weights.NonFiniteException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The check before decoding: NaN/Inf latents decode to an all-black image, which used to be saved with exit 0.
 * When the latents are not finite the call fails instead, naming the likely source: a model weight that is itself
 * NaN/Inf (named by its state-dict key), a LoRA scale or a guidance scale far outside the usual range.
 */
final class NonFiniteLatents {
    /** Scales beyond these are named as suspects; within them, float32 denoising stays finite for sane weights. */
    private static final double USUAL_LORA_SCALE = 10;
    private static final double USUAL_GUIDANCE = 50;

    private NonFiniteLatents() {}

    static void check(NDArray latents, Map<String, Module> components, GenerationRequest req) {
        long n = Finite.countNonFinite(latents);
        if (n == 0) {
            return;
        }
        throw new NonFiniteException(String.format(Locale.ROOT, "the latents hold %d NaN/Inf values of %d after %d"
                + " denoising steps, which would decode to a black image; no image was decoded. %s", n,
                latents.size(), req.steps(), cause(components, req)));
    }

    private static String cause(Map<String, Module> components, GenerationRequest req) {
        for (Map.Entry<String, Module> c : components.entrySet()) {
            String bad = firstNonFinite(c.getValue(), "");
            if (bad != null) {
                return "Cause: " + c.getKey() + " weight `" + bad + "` holds NaN/Inf (a corrupt or overflowed model"
                        + " file; check it with `bkd inspect`).";
            }
        }
        List<String> suspects = new ArrayList<>();
        Map<String, Double> scales = new LinkedHashMap<>();
        for (Module m : components.values()) {
            for (LoraLayer l : Lora.layers(m).values()) {
                for (LoraWeights w : l.adapters().values()) {
                    scales.merge(w.adapter(), w.scale(), (a, b) -> Math.abs(a) >= Math.abs(b) ? a : b);
                }
            }
        }
        scales.forEach((name, s) -> {
            if (Math.abs(s) > USUAL_LORA_SCALE) {
                suspects.add("LoRA `" + name + "` at scale " + s + " (usual: within +-" + (int) USUAL_LORA_SCALE + ")");
            }
        });
        if (Math.abs(req.guidanceScale()) > USUAL_GUIDANCE) {
            suspects.add("guidance scale " + req.guidanceScale() + " (usual: 1 to 20)");
        }
        if (suspects.isEmpty()) {
            return "No weight is NaN/Inf and the scales are ordinary; try fp32, fewer steps or another scheduler.";
        }
        return "Likely cause: " + String.join("; ", suspects) + ".";
    }

    /** The dotted state-dict key of the first parameter holding NaN/Inf, or null. */
    private static String firstNonFinite(Block b, String prefix) {
        if (b instanceof Module m) {
            for (Map.Entry<String, Parameter> p : m.ownParameters().entrySet()) {
                NDArray a = p.getValue().isInitialized() ? p.getValue().getArray() : null;
                if (a != null && Finite.countNonFinite(a) > 0) {
                    return prefix + p.getKey();
                }
            }
            for (Map.Entry<String, Block> c : m.childMap().entrySet()) {
                String bad = firstNonFinite(c.getValue(), prefix + c.getKey() + ".");
                if (bad != null) {
                    return bad;
                }
            }
        }
        return null;
    }
}
