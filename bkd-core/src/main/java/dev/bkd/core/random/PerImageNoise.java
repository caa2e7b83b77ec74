package dev.bkd.core.random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import java.util.List;

/**
 * diffusers' {@code randn_tensor(shape, generator=[g0, g1, ...])}: one source per batch row, each drawing
 * {@code randn((1, *shape[1:]))}, concatenated in row order. Every draw of a generation (initial latents and each
 * stochastic step) goes through it, so image i is what seed i alone would give (A1111 likewise seeds each image of a
 * batch on its own). One source for the whole batch draws different numbers, as in diffusers.
 */
public final class PerImageNoise implements NoiseSource {
    private final List<NoiseSource> sources;

    public PerImageNoise(List<? extends NoiseSource> sources) {
        if (sources.isEmpty()) {
            throw new BkdException("PerImageNoise: no generators");
        }
        this.sources = List.copyOf(sources);
    }

    public int size() {
        return sources.size();
    }

    /** The source of batch row {@code i} (diffusers' {@code generator[i]}). */
    public NoiseSource source(int i) {
        return sources.get(i);
    }

    @Override
    public NDArray randn(NDManager manager, Shape shape) {
        if (shape.dimension() == 0 || shape.get(0) != sources.size()) {
            throw new BkdException("randn_tensor: " + sources.size() + " generators for shape " + shape
                    + "; diffusers needs one generator per batch row (shape[0])");
        }
        Shape row = new Shape(1).addAll(shape.slice(1));
        float[] all = new float[Math.toIntExact(shape.size())];
        int per = Math.toIntExact(row.size());
        for (int b = 0; b < sources.size(); b++) {
            try (NDManager tmp = manager.newSubManager()) {
                System.arraycopy(sources.get(b).randn(tmp, row).toFloatArray(), 0, all, b * per, per);
            }
        }
        return manager.create(all, shape);
    }
}
