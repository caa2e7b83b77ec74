/**
 * Shared numerical kernels. Models call {@link dev.bkd.core.ops.Ops} only. On the PyTorch engine it
 * runs libtorch's fused group_norm and scaled_dot_product_attention through a TorchScript module that
 * bkd writes in memory ({@link dev.bkd.core.ops.TorchScriptOps}); otherwise, or with
 * {@code -Dbkd.ops=djl}, the pure-DJL reference ({@link dev.bkd.core.ops.DjlOps}). Both accept float32,
 * float16 and float64 and support autograd; bfloat16 is refused because DJL aborts on it.
 * {@code bkd benchmark --suite ops} times the two. The DJL workarounds the fused path needs (calling
 * TorchScript with autograd, writing the archive) live in {@code dev.bkd.core.djl}; falling back to the pure-DJL
 * ops logs one WARN per process with the reason and the cost.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release. Models call {@code Ops}; applications have no reason to.
 */
package dev.bkd.core.ops;
