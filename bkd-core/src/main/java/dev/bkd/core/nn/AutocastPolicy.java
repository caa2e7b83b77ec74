package dev.bkd.core.nn;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Which dtype each op computes in under {@link Autocast}: the table itself, as data, after torch's CUDA autocast op
 * lists ({@code aten/src/ATen/autocast_mode.cpp}, "lower_precision_fp" and "fp32"), used on every device since CUDA
 * is what float16 training is for (torch's CPU lists differ for a few norms). Ops not in the table run in their
 * inputs' dtype, and binary ops on mixed float16/float32 inputs promote to float32 (libtorch's type promotion),
 * exactly as unlisted ops do under torch.autocast.
 *
 * <p>Where bkd consults it: {@link Linear}, {@link Conv2d} and LoRA's A/B ({@code LINEAR}, {@code CONV2D}),
 * attention's q/k/v ({@code ATTENTION}; the pure-DJL attention's matmul and softmax run inside it), {@link GroupNorm}
 * and {@link LayerNorm}. {@code MATMUL}, {@code BMM}, {@code BADDBMM}, {@code SOFTMAX} and {@code MSE_LOSS} are
 * torch's rules for code that calls those ops directly; the trainers compute their losses after the autocast region,
 * on outputs cast back to float32.
 */
public final class AutocastPolicy {
    /** An op with an autocast rule, by torch's name for it. */
    public enum Op {
        CONV2D("conv2d"), LINEAR("linear"), MATMUL("matmul"), BMM("bmm"), BADDBMM("baddbmm"),
        ATTENTION("scaled_dot_product_attention"), GROUP_NORM("group_norm"), LAYER_NORM("layer_norm"),
        SOFTMAX("softmax"), MSE_LOSS("mse_loss");

        /** torch's op name, as in its autocast lists. */
        public final String torchName;

        Op(String torchName) {
            this.torchName = torchName;
        }
    }

    /** Where an op computes. */
    public enum Rule {
        /** In the autocast dtype (float16): tensor-core friendly, precision-tolerant ops. */
        LOWER_PRECISION,
        /** In float32: reductions and losses, whose sums and exponentials lose too much in float16. */
        FP32
    }

    /** torch.autocast's lists, restricted to the ops in {@link Op}. */
    public static final Map<Op, Rule> TORCH = table(
            Op.CONV2D, Rule.LOWER_PRECISION,
            Op.LINEAR, Rule.LOWER_PRECISION,
            Op.MATMUL, Rule.LOWER_PRECISION,
            Op.BMM, Rule.LOWER_PRECISION,
            Op.BADDBMM, Rule.LOWER_PRECISION,
            Op.ATTENTION, Rule.LOWER_PRECISION,
            Op.GROUP_NORM, Rule.FP32,
            Op.LAYER_NORM, Rule.FP32,
            Op.SOFTMAX, Rule.FP32,
            Op.MSE_LOSS, Rule.FP32);

    private AutocastPolicy() {}

    private static Map<Op, Rule> table(Object... pairs) {
        EnumMap<Op, Rule> m = new EnumMap<>(Op.class);
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((Op) pairs[i], (Rule) pairs[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }
}
