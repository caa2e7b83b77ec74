/**
 * Micro-benchmarks behind {@code bkd benchmark --suite NAME} (ops, unet, safetensors-load, distill); their
 * figures are in BENCHMARKS.md.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.examples.bench;
