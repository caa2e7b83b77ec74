package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;
import java.nio.file.Path;

/** A LoRA to load and its scale, as written on a command line: {@code FILE[:SCALE]} (scale 1 when absent). */
public record LoraSpec(Path file, double scale) {
    public LoraSpec {
        if (!Double.isFinite(scale)) {
            throw new BkdException("LoRA scale for " + file + " must be a finite number, got " + scale);
        }
    }

    /**
     * Parses {@code FILE[:SCALE]}. Only a number after the last ':' is a scale, so paths that contain ':'
     * still work ({@code C:\\loras\\a.safetensors}, {@code x:y.safetensors:0.5}).
     */
    public static LoraSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new BkdException("--lora needs FILE[:SCALE], got an empty value");
        }
        int colon = text.lastIndexOf(':');
        if (colon > 0) {
            String tail = text.substring(colon + 1).trim();
            if (tail.isEmpty()) {
                throw new BkdException("--lora " + text + ": nothing after ':' (expected FILE:SCALE, e.g."
                        + " a.safetensors:0.8)");
            }
            if (tail.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
                return new LoraSpec(Path.of(text.substring(0, colon)), Double.parseDouble(tail));
            }
        }
        return new LoraSpec(Path.of(text), 1.0);
    }
}
