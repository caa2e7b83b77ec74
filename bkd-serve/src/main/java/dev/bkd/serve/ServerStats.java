package dev.bkd.serve;

/**
 * Counters since start: requests taken into the queue, refused because it was full, finished (answered with
 * images, interrupted ones included), stopped because the client left or the timeout passed, and failed.
 */
public record ServerStats(long accepted, long rejected, long completed, long abandoned, long failed) {}
