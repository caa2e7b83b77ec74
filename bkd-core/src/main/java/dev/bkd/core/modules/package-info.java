/**
 * The diffusers building blocks the UNet and VAE are made of (ResNet blocks, attention, transformer blocks,
 * timestep embeddings, up/down sampling), named like diffusers' attributes so their paths are the state-dict keys.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.core.modules;
