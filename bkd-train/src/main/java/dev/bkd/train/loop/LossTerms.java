package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An objective's result: the scalar to differentiate, the scalars to log by name (the total among them), and what
 * must run right after the backward of the total (a checkpointed forward's replay; nothing otherwise).
 */
public record LossTerms(NDArray total, Map<String, NDArray> logged, Runnable afterBackward) {
    private static final Runnable NOTHING = () -> {};

    public LossTerms {
        logged = Collections.unmodifiableMap(new LinkedHashMap<>(logged));
        afterBackward = afterBackward == null ? NOTHING : afterBackward;
    }

    public LossTerms(NDArray total, Map<String, NDArray> logged) {
        this(total, logged, NOTHING);
    }

    /** These terms with {@code r} to run after the backward. */
    public LossTerms after(Runnable r) {
        return new LossTerms(total, logged, r);
    }
}
