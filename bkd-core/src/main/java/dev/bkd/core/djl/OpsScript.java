package dev.bkd.core.djl;

import java.util.ArrayList;
import java.util.List;

/**
 * TorchScript source of the {@code Ops} module whose methods call libtorch's fused kernels. Scalars
 * (groups, eps, scale, is_causal) are method arguments, so one compiled method serves every layer;
 * optional tensors get one method per present/absent combination because DJL cannot pass None.
 */
public final class OpsScript {
    public static final String CLASS = "Ops";
    public static final String SDPA = "sdpa";
    public static final String SDPA_MASK = "sdpa_mask";
    public static final String SDPA_MASK_CAUSAL = "sdpa_mask_causal";
    /** {@code x.to(dtype)}: a cast that autograd differentiates (DJL's {@code toType} cuts the graph there). */
    public static final String CAST = "cast";
    /**
     * One parameter's torch.optim.AdamW update in place, the statements of torch's single-tensor implementation
     * ({@code _single_tensor_adamw}) in its order, so the result is torch's to the bit: each statement is one fused
     * libtorch kernel, where the same maths through DJL's ops takes about twice the passes over memory.
     */
    public static final String ADAMW = "adamw_";

    private OpsScript() {}

    /** Name of the group_norm method taking (x, groups[, weight][, bias], eps); there is none for bias only. */
    public static String groupNormMethod(boolean weight, boolean bias) {
        return "group_norm" + (weight ? "_w" : "") + (bias ? "_b" : "");
    }

    public static String source() {
        StringBuilder s = new StringBuilder();
        s.append("class ").append(CLASS).append("(Module):\n")
                .append("  __parameters__ = []\n")
                .append("  __buffers__ = []\n")
                .append("  training : bool\n");
        for (boolean w : new boolean[] {true, false}) {
            for (boolean b : new boolean[] {true, false}) {
                if (b && !w) {
                    continue; // libtorch's backward fails ("tensor does not have a device") for bias without weight
                }
                List<String> args = new ArrayList<>(List.of("x: Tensor", "groups: int"));
                if (w) {
                    args.add("weight: Tensor");
                }
                if (b) {
                    args.add("bias: Tensor");
                }
                args.add("eps: float");
                method(s, groupNormMethod(w, b), args,
                        "return torch.group_norm(x, groups, " + (w ? "weight" : "None") + ", "
                                + (b ? "bias" : "None") + ", eps)");
            }
        }
        method(s, SDPA, List.of("q: Tensor", "k: Tensor", "v: Tensor", "causal: bool", "scale: float"),
                "return torch.scaled_dot_product_attention(q, k, v, None, 0., causal, scale=scale)");
        method(s, SDPA_MASK, List.of("q: Tensor", "k: Tensor", "v: Tensor", "mask: Tensor", "scale: float"),
                "return torch.scaled_dot_product_attention(q, k, v, mask, 0., False, scale=scale)");
        // torch refuses attn_mask together with is_causal, so fold the causal part into the mask:
        // -inf strictly above the diagonal (key j > query i), the same top-left alignment as is_causal
        method(s, SDPA_MASK_CAUSAL, List.of("q: Tensor", "k: Tensor", "v: Tensor", "mask: Tensor", "scale: float"),
                "future = torch.triu(torch.full([q.size(-2), k.size(-2)], float(\"-inf\"),"
                        + " dtype=q.dtype, device=q.device), 1)",
                "return torch.scaled_dot_product_attention(q, k, v, mask + future, 0., False, scale=scale)");
        // dtype is torch's ScalarType code (TorchScript passes dtypes as int); the gradient comes back in x's dtype
        method(s, CAST, List.of("x: Tensor", "dtype: int"), "return x.to(dtype)");
        method(s, ADAMW, List.of("p: Tensor", "g: Tensor", "exp_avg: Tensor", "exp_avg_sq: Tensor", "lr: float",
                "weight_decay: float", "beta1: float", "beta2: float", "eps: float", "step_size: float",
                "bias_correction2_sqrt: float"),
                "p.mul_(1 - lr * weight_decay)",
                "exp_avg.lerp_(g, 1 - beta1)",
                "exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)",
                "denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)",
                "return p.addcdiv_(exp_avg, denom, value=-step_size)");
        return s.toString();
    }

    private static void method(StringBuilder s, String name, List<String> args, String... body) {
        s.append("  def ").append(name).append("(self: __torch__.").append(CLASS);
        for (String a : args) {
            s.append(",\n    ").append(a);
        }
        s.append(") -> Tensor:\n");
        for (String line : body) {
            s.append("    ").append(line).append('\n');
        }
    }
}
