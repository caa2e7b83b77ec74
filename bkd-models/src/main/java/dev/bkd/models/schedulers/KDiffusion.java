package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;

/** Sigma-space helpers shared by the k-diffusion style schedulers (Euler, Euler ancestral, LMS). */
final class KDiffusion {
    private KDiffusion() {}

    /** The denoised estimate x0 from a model output at noise level sigma (x in sigma space). */
    static NDArray denoised(String predictionType, NDArray modelOutput, NDArray sample, float sigma) {
        return switch (predictionType) {
            case "epsilon" -> sample.sub(modelOutput.mul(sigma));
            case "v_prediction" -> {
                float s2 = sigma * sigma + 1f;
                // c_out * v + c_skip * x, with c_out = -sigma / sqrt(sigma^2 + 1), c_skip = 1 / (sigma^2 + 1)
                yield modelOutput.mul(-sigma / (float) Math.sqrt(s2)).add(sample.div(s2));
            }
            case "sample" -> modelOutput;
            default -> throw new IllegalStateException("prediction_type " + predictionType);
        };
    }
}
