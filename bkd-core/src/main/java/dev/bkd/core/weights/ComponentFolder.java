package dev.bkd.core.weights;

import dev.bkd.core.nn.Module;
import dev.bkd.core.safetensors.SafetensorsWriter;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One model component's folder as diffusers and transformers lay it out: {@code config.json} next to one weights
 * file (a variant such as {@code fp16} preferred when asked for; see {@link WeightFiles#resolve}). The one load and
 * save every component class (UNet, VAE, text encoder) uses.
 */
public final class ComponentFolder {
    /** The config file every component folder holds. */
    public static final String CONFIG = "config.json";

    private ComponentFolder() {}

    /** Builds a model from its config and an open state dict; {@code source} names the weights file in errors. */
    public interface Builder<C, M> {
        M build(C config, StateDict weights, String source);
    }

    /** Reads {@code dir/config.json} with {@code readConfig}, opens the weights file and builds the model from both. */
    public static <C, M> M load(Path dir, String variant, Function<Path, C> readConfig, Builder<C, M> builder) {
        C config = readConfig.apply(dir.resolve(CONFIG));
        Path file = WeightFiles.resolve(dir, variant);
        try (StateDict weights = StateDicts.open(file)) {
            return builder.build(config, weights, file.toString());
        }
    }

    /** Writes the config (by {@code saveConfig}) and {@code model}'s weights, in their current dtype, as {@code weightsName}. */
    public static void save(Path dir, Consumer<Path> saveConfig, Module model, String weightsName) {
        saveConfig.accept(dir.resolve(CONFIG));
        SafetensorsWriter.write(dir.resolve(weightsName), Weights.stateDict(model));
    }
}
