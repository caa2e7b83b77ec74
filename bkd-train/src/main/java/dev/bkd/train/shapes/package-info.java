/**
 * The demo's synthetic data: captioned pictures of coloured shapes, deterministic per seed. It is also the
 * training tests' learnable fixture, which is why it lives in this module; the demo's scorer is in bkd-examples.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.train.shapes;
