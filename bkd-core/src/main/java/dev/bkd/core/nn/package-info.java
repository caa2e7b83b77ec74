/**
 * The layer kit bkd's models are built from: {@code Module} (named parameters and children whose dotted
 * paths are the state-dict keys), Linear, Conv2d, norms, embeddings and activations; and {@code Autocast}, the
 * per-thread float16 autocast context those layers follow (policy table: {@code AutocastPolicy}).
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.core.nn;
