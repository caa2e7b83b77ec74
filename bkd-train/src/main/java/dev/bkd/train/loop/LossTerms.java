package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** An objective's result: the scalar to differentiate and the scalars to log by name (the total among them). */
public record LossTerms(NDArray total, Map<String, NDArray> logged) {
    public LossTerms {
        logged = Collections.unmodifiableMap(new LinkedHashMap<>(logged));
    }
}
