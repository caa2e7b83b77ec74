/**
 * The denoising objective full fine-tuning and LoRA share: {@link dev.bkd.train.denoise.DenoisingRun} assembles a
 * pipeline's UNet, frozen encoders, data and forward process on the training loop,
 * {@link dev.bkd.train.denoise.DenoisingLoss} is the per-sample loss against the scheduler's target and
 * {@link dev.bkd.train.denoise.MinSnrWeighting} its optional min-SNR-gamma weighting.
 */
package dev.bkd.train.denoise;
