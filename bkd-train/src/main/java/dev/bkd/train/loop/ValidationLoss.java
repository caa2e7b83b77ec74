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
 * timesteps are drawn once (the data source's first batch, with their own generator, so a resumed run draws the
 * same one; the source is put back where it was, so training sees the same batches as without evaluation) and
 * reused at every evaluation.
 * They are not held out from training: the batch is one the run also trains on.
 */
final class ValidationLoss implements AutoCloseable {
    /** Fixed seed of the validation batch's draw (independent of the run's seed). */
    static final long SEED = 0x5EEDL;

    private final NDManager manager;
    private final DiffusionBatch batch;

    ValidationLoss(BatchSource data, ForwardProcess forward, NDManager root) {
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

    /** {@code val_<term>} for every logged loss term. */
    Map<String, Double> compute(Objective objective) {
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            // every array of the forward is a temporary: freed when the step returns, so evaluations do not grow
            return Scoped.keepAll(() -> {
                Map<String, Double> out = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> e : objective.loss(batch).logged().entrySet()) {
                    out.put("val_" + e.getKey(), (double) e.getValue().getFloat());
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
