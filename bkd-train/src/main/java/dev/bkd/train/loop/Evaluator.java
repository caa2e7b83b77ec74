package dev.bkd.train.loop;

import java.util.Map;

/**
 * Measures the weights as they are after {@code step} (e.g. the CLIP score of pictures drawn from fixed prompts and
 * seeds). The values go into {@code metrics.jsonl} and the loss plot next to the losses of that step, and
 * {@code --keep-best} may select on them. Runs every {@code --eval-every} steps; must not record gradients.
 */
@FunctionalInterface
public interface Evaluator {
    Map<String, Double> evaluate(long step);
}
