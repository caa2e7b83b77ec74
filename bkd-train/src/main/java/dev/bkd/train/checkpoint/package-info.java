/**
 * Training checkpoints: weights, optimizer and EMA state, data position and RNG, written atomically and
 * resumed exactly.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.train.checkpoint;
