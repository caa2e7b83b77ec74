package dev.bkd.core.lora;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * LoRA files as diffusers writes them ({@code StableDiffusionPipeline.save_lora_weights}): one
 * {@code pytorch_lora_weights.safetensors} with keys {@code <component>.<layer path>.lora_A.weight} /
 * {@code .lora_B.weight} (components {@code unet}, {@code text_encoder}), unscaled A and B in the model's
 * dtype, and {@code __metadata__} = {@code {"format": "pt", "lora_adapter_metadata": <JSON>}} holding each
 * component's r, lora_alpha, rank/alpha patterns and target modules ({@link LoraMetadata}).
 */
public final class LoraFiles {
    /** diffusers' LORA_WEIGHT_NAME_SAFE. */
    public static final String WEIGHT_NAME = "pytorch_lora_weights.safetensors";
    /** The name diffusers saves without safetensors; read weights-only. */
    public static final String PICKLE_WEIGHT_NAME = "pytorch_lora_weights.bin";
    public static final String UNET = LoraKeys.UNET;
    public static final String TEXT_ENCODER = LoraKeys.TEXT_ENCODER;

    private LoraFiles() {}

    /**
     * Writes {@code adapters} (component name -> adapter) atomically. A {@code target} that is a folder, or
     * does not end in {@code .safetensors}, gets {@value #WEIGHT_NAME} inside it (created as needed).
     *
     * @return the file written
     */
    public static Path save(Path target, Map<String, LoraAdapter> adapters) {
        if (adapters.isEmpty()) {
            throw new LoraException("nothing to save: no LoRA adapter given");
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, LoraAdapter> c : adapters.entrySet()) {
            String comp = c.getKey();
            if (comp == null || comp.isBlank() || comp.contains(".")) {
                throw new LoraException("LoRA component name `" + comp + "` must be a plain name like unet");
            }
            c.getValue().parameters().forEach((k, v) -> tensors.put(comp + "." + k, v));
        }
        Path file = target;
        if (Files.isDirectory(target) || !target.getFileName().toString().endsWith(".safetensors")) {
            try {
                Files.createDirectories(target);
            } catch (IOException e) {
                throw new LoraException("cannot create LoRA folder " + target + ": " + e.getMessage());
            }
            file = target.resolve(WEIGHT_NAME);
        }
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt", LoraMetadata.KEY, LoraMetadata.write(adapters)));
        return file;
    }

    /**
     * The file {@code path} names: itself, or in a folder {@value #WEIGHT_NAME} (else {@value #PICKLE_WEIGHT_NAME},
     * else its only
     * {@code .safetensors}), like diffusers' {@code load_lora_weights(folder)}.
     */
    public static Path resolve(Path path) {
        if (Files.isRegularFile(path)) {
            return path;
        }
        if (!Files.isDirectory(path)) {
            throw new LoraFileException("LoRA file " + path + " does not exist", null);
        }
        Path named = path.resolve(WEIGHT_NAME);
        if (Files.isRegularFile(named)) {
            return named;
        }
        // diffusers' pickle name; StateDicts reads it weights-only
        Path pickle = path.resolve(PICKLE_WEIGHT_NAME);
        if (Files.isRegularFile(pickle)) {
            return pickle;
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(path)) {
            found = s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (found.size() != 1) {
            throw new LoraFileException("LoRA folder " + path + " has no " + WEIGHT_NAME + " and "
                    + (found.isEmpty() ? "no other .safetensors file" : found.size() + " other .safetensors files "
                    + found.stream().map(p -> p.getFileName().toString()).toList() + ": name the file"), null);
        }
        return found.get(0);
    }
}
