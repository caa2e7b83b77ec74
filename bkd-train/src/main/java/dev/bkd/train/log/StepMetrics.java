package dev.bkd.train.log;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** One logged optimizer step: each loss term by name, learning rate, gradient norm (NaN if not measured), images/s. */
public record StepMetrics(long step, Map<String, Double> losses, double lr, double gradNorm, double imagesPerSecond) {
    public StepMetrics {
        losses = Collections.unmodifiableMap(new LinkedHashMap<>(losses));
        for (String k : losses.keySet()) {
            if (MetricsWriter.RESERVED.contains(k)) {
                throw new IllegalArgumentException("loss term cannot be named `" + k + "`");
            }
        }
    }
}
