package dev.bkd.core.lora;

import ai.djl.ndarray.NDArray;

/**
 * One adapter on one layer: PEFT's {@code lora_A} (r, in[, k, k]) and {@code lora_B} (out, r[, 1, 1]), its
 * alpha, and a user scale (diffusers' adapter weight). The layer adds {@code scaling() * B(A(x))}.
 */
public final class LoraWeights {
    private final String adapter;
    private final NDArray loraA;
    private final NDArray loraB;
    private final double alpha;
    private double scale = 1.0;

    LoraWeights(String adapter, NDArray loraA, NDArray loraB, double alpha) {
        this.adapter = adapter;
        this.loraA = loraA;
        this.loraB = loraB;
        this.alpha = alpha;
    }

    public String adapter() {
        return adapter;
    }

    /** The down projection A; trained in place. */
    public NDArray loraA() {
        return loraA;
    }

    /** The up projection B; trained in place. */
    public NDArray loraB() {
        return loraB;
    }

    public int rank() {
        return Math.toIntExact(loraA.getShape().get(0));
    }

    public double alpha() {
        return alpha;
    }

    /** The user multiplier (1 unless set). */
    public double scale() {
        return scale;
    }

    void setScale(double s) {
        if (!Double.isFinite(s)) {
            throw new LoraException("LoRA scale must be finite, got " + s);
        }
        scale = s;
    }

    /** scale * alpha / r: the factor on B·A. */
    public double scaling() {
        return scale * alpha / rank();
    }

    void close() {
        loraA.close();
        loraB.close();
    }
}
