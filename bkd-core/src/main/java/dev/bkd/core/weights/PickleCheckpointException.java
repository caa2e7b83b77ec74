package dev.bkd.core.weights;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * A sharded pickle checkpoint ({@code *.bin.index.json}) was offered: bkd reads single torch.save files
 * weights-only ({@link TorchPickleStateDict}) but not sharded pickles, and says how to convert.
 */
public class PickleCheckpointException extends WeightFileException {
    private static final Set<String> EXTENSIONS = Set.of(".bin", ".ckpt", ".pt", ".pth");

    public PickleCheckpointException(Path file) {
        super(file + ": is a sharded PyTorch pickle checkpoint. bkd reads single .bin/.ckpt files weights-only but"
                + " not sharded pickles (and never runs code from a pickle, which could be arbitrary code hidden in"
                + " the file). Convert it to safetensors with Python first, e.g."
                + " `from safetensors.torch import save_file; save_file(torch.load(f, weights_only=True),"
                + " \"model.safetensors\")`, or for a diffusers/transformers folder"
                + " `Model.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`"
                + " (a single-file SD .ckpt: `StableDiffusionPipeline.from_single_file(f)"
                + ".save_pretrained(out, safe_serialization=True)`).");
    }

    /** True for the file names of pickle checkpoints, including {@code *.bin.index.json} shard indexes. */
    public static boolean isPickle(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".bin.index.json") || n.matches(".*\\.bin\\.index\\.[^.]+\\.json")) {
            return true;
        }
        return EXTENSIONS.stream().anyMatch(n::endsWith);
    }
}
