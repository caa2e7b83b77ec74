package dev.bkd.core.lora;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What loading a LoRA file did: the layouts seen, layers adapted per component ({@code unet},
 * {@code text_encoder}), keys it could not place (each with the reason) and notes worth a user's attention.
 */
public record LoraLoadReport(String source, String adapter, Set<LoraFormat> formats, Map<String, Integer> layers,
        List<String> unplaced, List<String> notes) {
    private static final int SHOWN = 20;

    public LoraLoadReport {
        formats = Set.copyOf(formats);
        layers = Map.copyOf(layers);
        unplaced = List.copyOf(unplaced);
        notes = List.copyOf(notes);
    }

    /** True when every key was placed. */
    public boolean clean() {
        return unplaced.isEmpty();
    }

    /** Total number of adapted layers. */
    public int layerCount() {
        return layers.values().stream().mapToInt(Integer::intValue).sum();
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("LoRA ").append(source).append(" as adapter `").append(adapter).append("` (").append(formats)
                .append("): ").append(layers).append(" layers");
        if (!unplaced.isEmpty()) {
            sb.append("\n  ").append(unplaced.size()).append(" key(s) not placed:");
            for (int i = 0; i < Math.min(SHOWN, unplaced.size()); i++) {
                sb.append("\n    ").append(unplaced.get(i));
            }
            if (unplaced.size() > SHOWN) {
                sb.append("\n    ... and ").append(unplaced.size() - SHOWN).append(" more");
            }
        }
        for (String n : notes) {
            sb.append("\n  note: ").append(n);
        }
        return sb.toString();
    }
}
