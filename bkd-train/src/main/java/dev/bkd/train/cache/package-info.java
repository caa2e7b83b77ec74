/**
 * The latent cache: VAE latents and text embeddings of a dataset, computed once and fingerprinted so a
 * changed dataset or model is never trained on stale entries.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.train.cache;
