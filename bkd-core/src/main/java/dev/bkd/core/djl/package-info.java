/**
 * Every place bkd works around a DJL 0.36 bug or gap, in one package, so a DJL upgrade is checked
 * here and nowhere else. {@code DjlWorkaroundsCanaryTest} (core tests) fails with a message naming the
 * workaround when an upgrade breaks one of them.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release. These classes change with DJL releases.
 *
 * <table>
 * <caption>Workarounds</caption>
 * <tr><th>class</th><th>DJL bug or gap</th><th>what breaks without it</th></tr>
 * <tr><td>{@link dev.bkd.core.djl.ModuleInvoker}</td>
 *     <td>{@code IValueUtils.runMethod} (the only public way to call a TorchScript method) always runs with
 *     autograd off; the native {@code PyTorchLibrary.moduleRunMethod} under it takes an is-train flag, reached
 *     by reflection into DJL internals</td>
 *     <td>no gradient through the fused GroupNorm/attention: training would need the slow ops</td></tr>
 * <tr><td>{@link dev.bkd.core.djl.TorchScriptArchive}, {@link dev.bkd.core.djl.PickleWriter},
 *     {@link dev.bkd.core.djl.OpsScript}</td>
 *     <td>DJL exposes neither {@code torch.group_norm} nor {@code scaled_dot_product_attention}, and has no way
 *     to compile TorchScript source; bkd writes a torch.jit.save archive in Java and loads it</td>
 *     <td>GroupNorm ~3x and attention ~3-6x slower (pure-DJL ops), UNet training ~2.6x slower</td></tr>
 * <tr><td>{@link dev.bkd.core.djl.OpsScript} {@code cast}, reached as {@link dev.bkd.core.ops.Ops#cast}</td>
 *     <td>{@code NDArray.toType} (and {@code toDevice}) cut the autograd graph: nothing upstream of the cast gets a
 *     gradient; the TorchScript {@code x.to(dtype)} is differentiated (gradient in the source dtype)</td>
 *     <td>mixed precision ({@link dev.bkd.core.nn.Autocast}) would train nothing upstream of a cast; with the
 *     pure-DJL ops {@code --mixed-precision fp16} refuses to start</td></tr>
 * <tr><td>{@link dev.bkd.core.djl.Scalars}</td>
 *     <td>{@code NDArray.mul(Number)} and the other Number overloads wrap the number in a tensor aliasing a
 *     Java direct buffer and free it right after the op, while autograd keeps it for backward</td>
 *     <td>wrong gradients after a GC, different every run (a test scans trainable code for Number ops)</td></tr>
 * <tr><td>{@link dev.bkd.core.djl.Autograd}</td>
 *     <td>{@code getGradient()} returns a fresh zero array for a parameter with no gradient (torch's None) and
 *     attaches every gradient wrapper to the parameter's long-lived manager; DJL has no no-grad scope</td>
 *     <td>a native-memory leak per parameter per step, optimiser steps on frozen parameters, graphs recorded
 *     during validation</td></tr>
 * </table>
 *
 * <p>{@link dev.bkd.core.ops.Ops} falls back to the pure-DJL kernels with one loud WARN per process (reason and
 * cost) when the TorchScript path cannot load.
 */
package dev.bkd.core.djl;
