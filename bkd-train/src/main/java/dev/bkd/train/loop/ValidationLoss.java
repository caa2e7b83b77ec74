package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.DataPosition;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The objective's loss terms on one fixed batch, so values compare across steps: the images, captions, noise and
 * timesteps are drawn once (the source's first batch, with their own generator, so a resumed run draws the
 * same one; the source is put back where it was, so training sees the same batches as without evaluation) and
 * reused at every evaluation. The source is either held-out images ({@link HeldOutImages}, terms
 * {@value #HELD_OUT}*) or the training data itself ({@value #TRAINING}*: a batch the run also trains on, so it
 * tracks fitting, not generalisation; the name keeps the two apart in the metrics, plot and --keep-best).
 */
final class ValidationLoss implements AutoCloseable {
    /** Fixed seed of the validation batch's draw (independent of the run's seed). */
    static final long SEED = 0x5EEDL;
    /** Prefix of the terms on held-out images. */
    static final String HELD_OUT = "val_";
    /** Prefix of the terms on a fixed batch of the training data. */
    static final String TRAINING = "fixed_train_";

    private final NDManager manager;
    private final DiffusionBatch batch;
    private final String prefix;

    ValidationLoss(BatchSource data, String prefix, ForwardProcess forward, NDManager root) {
        this.prefix = prefix;
        manager = root.newSubManager();
        var position = data.position();
        Generator g = new Generator(SEED);
        try {
            data.seek(DataPosition.start());
            batch = forward.apply(data.next(manager, g), g, manager);
        } finally {
            data.seek(position);
        }
    }

    /** {@code <prefix><term>} for every logged loss term. */
    Map<String, Double> compute(Objective objective) {
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            // every array of the forward is a temporary: freed when the step returns, so evaluations do not grow
            return Scoped.keepAll(() -> {
                Map<String, Double> out = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> e : objective.loss(batch).logged().entrySet()) {
                    out.put(prefix + e.getKey(), (double) e.getValue().getFloat());
                }
                return out;
            }, m -> java.util.List.of());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
