/**
 * BK-SDM knowledge distillation: {@link dev.bkd.train.distill.DistillLoss} (task + output KD + per-block
 * feature KD), the feature-pair presets of {@code kd_presets.json} ({@link dev.bkd.train.distill.KdPresets}),
 * {@link dev.bkd.train.distill.DistillObjective} for the shared training loop, and
 * {@link dev.bkd.train.distill.Distiller}, which assembles a run from {@link dev.bkd.train.distill.DistillOptions}.
 */
package dev.bkd.train.distill;
