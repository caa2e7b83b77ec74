package dev.bkd.core.singlefile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.safetensors.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes diffusers-named component tensors as one original-layout (LDM / A1111) safetensors file, the way
 * diffusers' {@code convert_diffusers_to_original_stable_diffusion.py} does: same keys, same shapes (VAE
 * attention as 1x1 convolutions, OpenCLIP q/k/v fused). The caller checks the block layout first; a tensor the
 * map has no place for is an error naming it.
 */
public final class SingleFileWriter {
    private SingleFileWriter() {}

    /** One component to write: its layout, its tensors by diffusers key, and (OpenCLIP) the text layer count. */
    public record Part(LdmComponent component, Map<String, NDArray> tensors, int textLayers) {}

    /** The single-file tensors for {@code parts}, in part order; new arrays (fused, reshaped) live in {@code manager}. */
    public static Map<String, NDArray> convert(List<Part> parts, NDManager manager, String what) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Part p : parts) {
            LdmKeyMap map = LdmKeyMap.of(p.component(), p.textLayers());
            Map<String, TreeMap<Integer, NDArray>> fused = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : p.tensors().entrySet()) {
                LdmKeyMap.Target t = map.toFile(e.getKey()).orElseThrow(() -> new SingleFileException(what + ": `"
                        + e.getKey() + "` has no place in the original " + p.component().name().toLowerCase()
                        + " layout, so the model cannot be written as a single file"));
                String key = p.component().prefix() + t.key();
                NDArray a = e.getValue();
                switch (t.op().kind()) {
                    case COPY -> out.put(key, a);
                    case RESHAPE_1X1 -> {
                        NDArray r = a.reshape(a.getShape().get(0), a.getShape().get(1), 1, 1);
                        r.attach(manager);
                        out.put(key, r);
                    }
                    case ROWS_OF_3 -> {
                        fused.computeIfAbsent(key, k -> new TreeMap<>()).put(t.op().part(), a);
                        out.put(key, null); // keeps the place in the order; filled below
                    }
                }
            }
            for (Map.Entry<String, TreeMap<Integer, NDArray>> f : fused.entrySet()) {
                if (f.getValue().size() != 3) {
                    throw new SingleFileException(what + ": `" + f.getKey() + "` needs q, k and v, found only parts "
                            + f.getValue().keySet());
                }
                NDArray cat = NDArrays.concat(new NDList(f.getValue().values().toArray(new NDArray[0])), 0);
                cat.attach(manager);
                out.put(f.getKey(), cat);
            }
        }
        return out;
    }

    /** {@link #convert} and write to {@code file} (atomically, like every safetensors bkd writes). */
    public static void write(Path file, List<Part> parts, Map<String, String> metadata) {
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, convert(parts, m, file.toString()), metadata);
        }
    }
}
