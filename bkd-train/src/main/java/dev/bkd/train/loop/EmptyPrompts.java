package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.DataPosition;
import java.util.ArrayList;
import java.util.List;

/**
 * Replaces each caption of a batch by the empty prompt with probability {@code proportion}, as diffusers'
 * {@code --proportion_empty_prompts} does, so the model also learns the unconditional prediction that
 * classifier-free guidance subtracts. Works on cached text embeddings: the empty prompt is encoded once.
 */
public final class EmptyPrompts implements BatchSource {
    private final BatchSource inner;
    private final double proportion;
    private final NDArray empty;

    private EmptyPrompts(BatchSource inner, double proportion, NDArray empty) {
        this.inner = inner;
        this.proportion = proportion;
        this.empty = empty;
    }

    /** {@code inner} itself when {@code proportion} is 0; the empty prompt's embedding lives in {@code manager}. */
    public static BatchSource wrap(BatchSource inner, double proportion, FrozenEncoders encoders, NDManager manager) {
        check(proportion);
        if (proportion == 0) {
            return inner;
        }
        return wrap(inner, proportion, encoders.encode(List.of(""), manager).get(FrozenEncoders.PROMPT_EMBEDS));
    }

    /** As above with the empty prompt's embedding (1, T, D) given. */
    public static BatchSource wrap(BatchSource inner, double proportion, NDArray emptyEmbedding) {
        check(proportion);
        return proportion == 0 ? inner : new EmptyPrompts(inner, proportion, emptyEmbedding);
    }

    /** Throws unless {@code p} is a probability. */
    public static void check(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new ConfigException("--proportion-empty-prompts must be between 0 and 1, got " + p);
        }
    }

    @Override
    public CleanBatch next(NDManager manager, Generator rng) {
        CleanBatch b = inner.next(manager, rng);
        int n = b.size();
        boolean[] drop = new boolean[n];
        List<String> captions = new ArrayList<>(b.captions());
        for (int i = 0; i < n; i++) {
            drop[i] = rng.nextDouble() < proportion;
            if (drop[i]) {
                captions.set(i, "");
            }
        }
        NDArray mask = manager.create(drop, new Shape(n, 1, 1)).toType(DataType.FLOAT32, false);
        NDArray text = b.encoderHiddenStates();
        NDArray mixed = text.mul(mask.neg().add(1f)).add(empty.mul(mask));
        return new CleanBatch(b.latents(), mixed, captions, b.unetConditioning());
    }

    @Override
    public DataPosition position() {
        return inner.position();
    }

    @Override
    public void seek(DataPosition position) {
        inner.seek(position);
    }

    @Override
    public int size() {
        return inner.size();
    }

    @Override
    public void close() {
        inner.close();
    }
}
