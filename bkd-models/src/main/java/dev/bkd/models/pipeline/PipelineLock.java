package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Who may touch a pipeline's weights when. Generations only read the weights and run side by side (each call has
 * its own scheduler, generator and native arrays: PipelineConcurrencyTest shows bit-identical images); LoRA
 * load/fuse/unfuse/remove and close change or free weight arrays, so they wait until no generation runs and
 * generations wait for them. Without this, fuse closed arrays a running UNet call was reading (a native
 * use-after-free: a JVM crash or a silently wrong image). Fair, so a stream of requests cannot starve a change.
 * A pipeline made with {@link DiffusionPipeline#withUnet} gets a {@link #sharing} lock: the same read/write lock
 * (they share the text encoder) and its own closed flag, and it counts as closed once its source is (it uses the
 * source's tokenizer, text encoder and VAE).
 */
final class PipelineLock {
    private final ReentrantReadWriteLock lock;
    private final PipelineLock source;
    private volatile boolean closed;

    PipelineLock() {
        this(new ReentrantReadWriteLock(true), null);
    }

    private PipelineLock(ReentrantReadWriteLock lock, PipelineLock source) {
        this.lock = lock;
        this.source = source;
    }

    /** A lock for a pipeline built on this one's components. */
    PipelineLock sharing() {
        return new PipelineLock(lock, this);
    }

    /** Runs a reader (a generation) alongside other readers. */
    <T> T read(String what, Supplier<T> body) {
        Lock l = lock.readLock();
        l.lock();
        try {
            checkOpen(what);
            return body.get();
        } finally {
            l.unlock();
        }
    }

    /** Runs a change of the weights once no reader runs. */
    <T> T write(String what, Supplier<T> body) {
        if (lock.getReadHoldCount() > 0) {
            // a read lock cannot be upgraded: waiting here would wait for ourselves forever
            throw new BkdException(what + " was called from inside a generation (e.g. a progress listener) of the"
                    + " same pipeline; change LoRA between generations");
        }
        return exclusive(() -> {
            checkOpen(what);
            return body.get();
        });
    }

    void write(String what, Runnable body) {
        write(what, () -> {
            body.run();
            return null;
        });
    }

    /** Runs {@code release} once, after running generations end; later calls fail with a clear message. */
    void close(Runnable release) {
        exclusive(() -> {
            if (!closed) {
                closed = true;
                release.run();
            }
            return null;
        });
    }

    private <T> T exclusive(Supplier<T> body) {
        Lock l = lock.writeLock();
        l.lock();
        try {
            return body.get();
        } finally {
            l.unlock();
        }
    }

    private boolean isClosed() {
        return closed || (source != null && source.isClosed());
    }

    private void checkOpen(String what) {
        if (isClosed()) {
            throw new BkdException(what + ": the pipeline is closed (its weights are freed)");
        }
    }
}
