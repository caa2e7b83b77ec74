package dev.bkd.train.data;

import ai.djl.ndarray.NDManager;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * {@link ImageBatches} read ahead: one background thread loads, decodes and augments the next {@code depth} batches
 * while the training step runs (the queue is bounded, so memory is too). The batches are exactly those of the
 * wrapped ImageBatches in the same order: each item's augmentation draws from its own (seed, epoch, item) RNG, never
 * from a shared one, so reading ahead changes nothing. Only the NDArray is made on the caller's thread (DJL managers
 * are not thread-safe); {@link #position()} is the position after the last batch handed out, not after the last
 * one read ahead, so checkpoints resume where training really was.
 */
public final class PrefetchedBatches implements AutoCloseable {
    private final ImageBatches batches;
    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private DataPosition position;
    private RuntimeException failure;
    private long waitedNanos;

    /** Starts reading ahead of {@code batches}, which must not be used directly afterwards. */
    public PrefetchedBatches(ImageBatches batches, int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("prefetch depth must be at least 1, got " + depth);
        }
        this.batches = batches;
        this.position = batches.position();
        this.queue = new ArrayBlockingQueue<>(depth);
        this.thread = new Thread(this::produce, "bkd-data-prefetch");
        thread.setDaemon(true); // never keeps the JVM alive after training ended
        thread.start();
    }

    private void produce() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Object next;
                try {
                    next = batches.nextHost();
                } catch (RuntimeException e) {
                    next = e; // handed to the training thread, which rethrows it; this thread ends
                }
                queue.put(next);
                if (next instanceof RuntimeException) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // closed: stop reading ahead
        }
    }

    /** The next batch, its pixels created in {@code manager}; waits if the thread has not made it yet. */
    public ImageBatches.Batch next(NDManager manager) {
        if (failure != null) {
            throw failure;
        }
        long t0 = System.nanoTime();
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatasetException("interrupted while waiting for the next batch of images");
        } finally {
            waitedNanos += System.nanoTime() - t0;
        }
        if (o instanceof RuntimeException e) {
            failure = e;
            throw e;
        }
        ImageBatches.HostBatch h = (ImageBatches.HostBatch) o;
        position = h.after();
        return h.toBatch(manager);
    }

    /** Where the batch after the last one handed out starts (saved with checkpoints). */
    public DataPosition position() {
        return position;
    }

    /** Nanoseconds {@link #next} spent waiting for the thread so far. */
    public long waitedNanos() {
        return waitedNanos;
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
