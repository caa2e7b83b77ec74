/**
 * Training output besides the weights: metrics.jsonl, loss plots, image grids, the progress bar and the
 * Ctrl-C stop signal.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.train.log;
