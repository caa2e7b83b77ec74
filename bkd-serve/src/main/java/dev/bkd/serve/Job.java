package dev.bkd.serve;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One accepted generation request on its way through the queue. Whoever stops it (interrupt, the client going
 * away, the timeout) records why; the worker polls {@link #stopReason()} before every sampling step.
 */
final class Job {
    /** Why a job stopped early; INTERRUPT still answers with the images finished so far. */
    enum Stop { INTERRUPT, DISCONNECT, TIMEOUT, SHUTDOWN }

    final GenerateParams params;
    final CompletableFuture<GenerateResult> result = new CompletableFuture<>();
    private final AtomicReference<Stop> stop = new AtomicReference<>();

    Job(GenerateParams params) {
        this.params = params;
    }

    /** Asks the job to stop at its next step; the first reason given wins. */
    void stop(Stop why) {
        stop.compareAndSet(null, why);
    }

    Stop stopReason() {
        return stop.get();
    }

    boolean stopping() {
        return stop.get() != null;
    }
}
