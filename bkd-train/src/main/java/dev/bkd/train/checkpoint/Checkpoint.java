package dev.bkd.train.checkpoint;

import dev.bkd.core.weights.SafetensorsStateDict;
import dev.bkd.core.weights.StateDict;
import java.nio.file.Path;
import java.util.Set;

/** A validated checkpoint folder: its trainer state and the weight sets it holds ({@code <name>.safetensors}). */
public record Checkpoint(Path dir, TrainerState state, Set<String> weightSets) {
    /** The optimizer step the checkpoint was taken after. */
    public long step() {
        return state.step();
    }

    /** The file of weight set {@code name}. */
    public Path file(String name) {
        return dir.resolve(name + CheckpointManager.WEIGHTS_SUFFIX);
    }

    /** Opens weight set {@code name} (caller closes); an absent set is a {@link CheckpointException}. */
    public StateDict open(String name) {
        if (!weightSets.contains(name)) {
            throw new CheckpointException(dir + ": has no weight set `" + name + "` (has " + weightSets + ")");
        }
        return SafetensorsStateDict.open(file(name));
    }
}
