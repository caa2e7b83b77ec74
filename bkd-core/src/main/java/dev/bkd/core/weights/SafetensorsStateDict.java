package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.safetensors.SafetensorsEntry;
import dev.bkd.core.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.Set;

/** A {@link StateDict} over one safetensors file; closing it closes the file. */
public final class SafetensorsStateDict implements StateDict {
    private final SafetensorsFile file;

    public SafetensorsStateDict(SafetensorsFile file) {
        this.file = file;
    }

    public static SafetensorsStateDict open(Path file) {
        return new SafetensorsStateDict(SafetensorsFile.open(file));
    }

    /** The underlying file (metadata, raw bytes). */
    public SafetensorsFile file() {
        return file;
    }

    @Override
    public Set<String> keys() {
        return file.names();
    }

    @Override
    public TensorSpec spec(String key) {
        SafetensorsEntry e = file.entry(key);
        return new TensorSpec(e.dtype().name(), e.shape());
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        return file.load(key, manager);
    }

    @Override
    public void close() {
        file.close();
    }

    @Override
    public String toString() {
        return "StateDict[" + file.path() + "]";
    }
}
