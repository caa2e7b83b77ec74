package dev.bkd.train.loop;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFiles;
import dev.bkd.train.log.StepMetrics;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The loop's periodic evaluation: validation loss, an optional {@link Evaluator}, and keeping the best weights. */
final class Evaluations implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluations.class);
    /** Where --keep-best saves, under the run's output folder. */
    static final String BEST = "best";
    /** Metrics where higher is better; every other (losses, distances) is better lower. */
    private static final Set<String> HIGHER_IS_BETTER = Set.of("clip_score");

    private final boolean on;
    private final Evaluator evaluator;
    private final String keepBest;
    private final Objective objective;
    private final BatchSource data;
    private final BatchSource heldOut;
    private final ForwardProcess forward;
    private final NDManager root;
    private final Path out;
    private ValidationLoss validation;
    private Double best;

    /** {@code heldOut}: the validation images (null: a fixed batch of {@code data}); closed with this. */
    Evaluations(boolean on, Evaluator evaluator, String keepBest, Objective objective, BatchSource data,
            BatchSource heldOut, ForwardProcess forward, NDManager root, Path out) {
        this.heldOut = heldOut;
        this.on = on;
        this.evaluator = evaluator;
        this.keepBest = keepBest;
        this.objective = objective;
        this.data = data;
        this.forward = forward;
        this.root = root;
        this.out = out;
        Path saved = out.resolve(BEST).resolve("best.json");
        if (keepBest != null && java.nio.file.Files.isRegularFile(saved)) {
            // a resumed run keeps comparing with the best of the run so far
            var node = ConfigReader.read(saved);
            if (keepBest.equals(node.getString("metric", null))) {
                best = node.getDouble("value", Double.NaN);
            }
        }
    }

    /** {@code m} with the evaluation's values added to its logged terms. */
    StepMetrics evaluate(long step, StepMetrics m) {
        if (!on) {
            return m;
        }
        if (validation == null) {
            validation = heldOut != null ? new ValidationLoss(heldOut, ValidationLoss.HELD_OUT, forward, root)
                    : new ValidationLoss(data, ValidationLoss.TRAINING, forward, root);
        }
        Map<String, Double> all = new LinkedHashMap<>(m.losses());
        Map<String, Double> values = new LinkedHashMap<>(validation.compute(objective));
        if (evaluator != null) {
            try {
                values.putAll(evaluator.evaluate(step));
            } catch (BkdException e) {
                LOG.warn("evaluation at step {} failed, training goes on: {}", step, e.getMessage());
            }
        }
        LOG.info("evaluation at step {}: {}", step, values);
        all.putAll(values);
        keepBest(step, values);
        return new StepMetrics(m.step(), all, m.lr(), m.gradNorm(), m.imagesPerSecond());
    }

    private void keepBest(long step, Map<String, Double> values) {
        if (keepBest == null) {
            return;
        }
        Double v = values.get(keepBest);
        if (v == null) {
            throw new BkdException("--keep-best " + keepBest + ": the evaluation measures " + values.keySet());
        }
        boolean higher = HIGHER_IS_BETTER.contains(keepBest);
        if (best != null && (higher ? v <= best : v >= best)) {
            return;
        }
        best = v;
        objective.save(out.resolve(BEST));
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        o.put("metric", keepBest);
        o.put("value", v);
        o.put("step", step);
        AtomicFiles.writeString(out.resolve(BEST).resolve("best.json"), o.toPrettyString() + "\n");
        LOG.info("best {} so far ({}) at step {}: saved to {}", keepBest, v, step, out.resolve(BEST));
    }

    @Override
    public void close() {
        if (heldOut != null) {
            heldOut.close();
        }
        if (validation != null) {
            validation.close();
        }
    }
}
