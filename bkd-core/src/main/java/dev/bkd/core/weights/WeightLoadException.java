package dev.bkd.core.weights;

import dev.bkd.core.BkdException;

/** Weights that do not fit a model: every missing, unexpected and mis-shaped key, reported together. */
public class WeightLoadException extends BkdException {
    private final LoadReport report;

    public WeightLoadException(String source, LoadReport report) {
        super("Error(s) loading weights from " + source + " into the model:\n" + report.describe());
        this.report = report;
    }

    public LoadReport report() {
        return report;
    }
}
