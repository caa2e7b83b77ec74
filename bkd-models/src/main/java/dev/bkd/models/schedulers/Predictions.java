package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;

/**
 * Converts a model output to the predicted clean sample x0 and noise eps for variance-preserving schedulers,
 * given alpha_prod (acp[t]) and beta_prod (1 - acp[t]), for prediction_type epsilon, sample or v_prediction.
 */
final class Predictions {
    private Predictions() {}

    static NDArray x0(String type, NDArray modelOutput, NDArray sample, float alphaProd, float betaProd) {
        return switch (type) {
            case "epsilon" -> sample.sub(modelOutput.mul(sqrt(betaProd))).div(sqrt(alphaProd));
            case "sample" -> modelOutput;
            case "v_prediction" -> sample.mul(sqrt(alphaProd)).sub(modelOutput.mul(sqrt(betaProd)));
            default -> throw new IllegalStateException("prediction_type " + type); // rejected by the config
        };
    }

    /** eps given the x0 that {@link #x0} returned for the same inputs. */
    static NDArray eps(String type, NDArray modelOutput, NDArray sample, NDArray x0, float alphaProd, float betaProd) {
        return switch (type) {
            case "epsilon" -> modelOutput;
            case "sample" -> sample.sub(x0.mul(sqrt(alphaProd))).div(sqrt(betaProd));
            case "v_prediction" -> modelOutput.mul(sqrt(alphaProd)).add(sample.mul(sqrt(betaProd)));
            default -> throw new IllegalStateException("prediction_type " + type);
        };
    }

    static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }
}
