/**
 * Optimisation: AdamW as torch computes it, gradient clipping, learning-rate schedules and EMA weights.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.train.optim;
