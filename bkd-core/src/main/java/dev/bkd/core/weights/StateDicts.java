package dev.bkd.core.weights;

import dev.bkd.core.safetensors.SafetensorsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Opens any weights bkd reads: a .safetensors file, a sharded index, or a component folder. */
public final class StateDicts {
    private StateDicts() {}

    /**
     * A folder is resolved like diffusers does ({@link WeightFiles#resolve}, no variant); a
     * {@code *.safetensors.index.json} opens its shards; a torch checkpoint ({@code .ckpt/.bin/.pt/.pth}, or any
     * zip) is read weights-only ({@link TorchPickleStateDict}: no code in it can run); a sharded pickle index
     * is refused with {@link PickleCheckpointException}; any other file must parse as safetensors.
     */
    public static StateDict open(Path path) {
        if (Files.isDirectory(path)) {
            return open(WeightFiles.resolve(path, null));
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (PickleCheckpointException.isPickle(path)) {
            if (name.endsWith(".json")) {
                throw new PickleCheckpointException(path);
            }
            return TorchPickleStateDict.open(path);
        }
        if (name.endsWith(".json")) {
            return ShardedStateDict.open(path);
        }
        if (name.endsWith(".safetensors")) {
            return SafetensorsStateDict.open(path);
        }
        if (dev.bkd.core.pickle.TorchArchive.looksLikeZip(path)) {
            return TorchPickleStateDict.open(path);
        }
        try {
            return SafetensorsStateDict.open(path);
        } catch (SafetensorsException e) {
            throw new WeightFileException(path + ": not a weight file bkd reads (expected .safetensors or"
                    + " .safetensors.index.json) and it does not parse as safetensors either: " + e.getMessage());
        }
    }
}
