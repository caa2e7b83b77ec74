package dev.bkd.train.optim;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.train.checkpoint.CheckpointException;
import java.util.Collection;

/**
 * Dynamic loss scaling as torch.cuda.amp.GradScaler does it, with its defaults: the loss is multiplied by the scale
 * (65536 at first) before the backward so small float16 gradients do not flush to zero; the gradients are divided by
 * it before clipping and the update; a step whose gradients hold inf/NaN is skipped and halves the scale, and every
 * 2000 consecutive good steps double it. The state (scale and the good-step count) goes into checkpoints, so a
 * resumed run scales exactly as the uninterrupted one.
 */
public final class GradScaler {
    /** torch.cuda.amp.GradScaler's constructor arguments. */
    public record Config(double initScale, double growthFactor, double backoffFactor, int growthInterval) {
        public static Config defaults() {
            return new Config(65536.0, 2.0, 0.5, 2000);
        }
    }

    private final Config config;
    private double scale;
    private int growthTracker;

    public GradScaler(Config config) {
        this.config = config;
        this.scale = config.initScale();
    }

    /** The current loss multiplier. */
    public double scale() {
        return scale;
    }

    /** Consecutive good steps since the scale last changed. */
    public int growthTracker() {
        return growthTracker;
    }

    /**
     * Divides {@code grads} (the parameters' .grad aliases) by the scale in place and says whether every entry is
     * finite (torch's unscale_ and found_inf).
     */
    public boolean unscale(Collection<NDArray> grads) {
        double inv = 1.0 / scale;
        boolean finite = true;
        for (NDArray g : grads) {
            // in place on the .grad alias: the gradients are no graph inputs, so a Number operand is safe here
            g.muli(inv);
            finite &= g.isInfinite().logicalOr(g.isNaN()).none().getBoolean();
        }
        return finite;
    }

    /** After a step: back off and restart counting if {@code foundInf} (the step was skipped), else count and grow. */
    public void update(boolean foundInf) {
        if (foundInf) {
            scale *= config.backoffFactor();
            growthTracker = 0;
        } else if (++growthTracker == config.growthInterval()) {
            scale *= config.growthFactor();
            growthTracker = 0;
        }
    }

    /** The state for trainer_state.json (torch's state_dict keys). */
    public JsonNode state() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("scale", scale);
        o.put("_growth_tracker", growthTracker);
        return o;
    }

    /** Restores {@link #state()}; {@code source} names the checkpoint in errors. */
    public void restore(JsonNode state, String source) {
        if (state == null || !state.path("scale").isNumber() || !state.path("_growth_tracker").isInt()) {
            throw new CheckpointException(source + ": trainer_state.json has no valid grad_scaler state (scale and"
                    + " _growth_tracker); it was written without --mixed-precision fp16, resume without it");
        }
        scale = state.get("scale").asDouble();
        growthTracker = state.get("_growth_tracker").asInt();
    }
}
