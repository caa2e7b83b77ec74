package dev.bkd.train.log;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Graceful Ctrl-C: the first SIGINT/SIGTERM only sets {@link #requested()}, so the loop can finish its step,
 * write a checkpoint and return; a second signal falls through to the JVM's default handling (exit now).
 * {@link #close} puts the previous handlers back.
 */
public final class StopSignal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StopSignal.class);

    private record Installed(Signal signal, SignalHandler previous) {}

    private final AtomicBoolean requested = new AtomicBoolean();
    private final List<Installed> installed = new ArrayList<>();
    private final List<String> ignored = new ArrayList<>();
    private volatile String reason;
    private boolean closed;

    private StopSignal() {}

    /** Handles SIGINT and SIGTERM. */
    public static StopSignal install() {
        return install("INT", "TERM");
    }

    /** Handles the named signals; one that cannot be handled here (e.g. under -Xrs) is logged and left alone. */
    public static StopSignal install(String... signals) {
        StopSignal s = new StopSignal();
        for (String name : signals) {
            try {
                Signal sig = new Signal(name);
                SignalHandler prev = Signal.handle(sig, s::onSignal);
                if (prev == SignalHandler.SIG_IGN) {
                    // HotSpot keeps a signal ignored when the process inherited it as ignored (a background job
                    // of a non-interactive shell, nohup, some CI agents): our handler was NOT installed, and
                    // Ctrl-C / kill -INT does nothing at all. Say so instead of promising a checkpoint.
                    s.ignored.add(name);
                    LOG.warn("SIG{} was ignored when this process started (background job or nohup): it will neither"
                            + " stop nor checkpoint the run; use kill -TERM for a checkpointed stop", name);
                    continue;
                }
                s.installed.add(new Installed(sig, prev));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                LOG.warn("cannot handle SIG{} ({}); it will stop the JVM without a checkpoint", name, e.getMessage());
            }
        }
        return s;
    }

    private void onSignal(Signal sig) {
        if (requested.compareAndSet(false, true)) {
            reason = "SIG" + sig.getName();
            System.err.println("\n" + reason + ": finishing this step and saving a checkpoint; send it again to quit now");
            return;
        }
        for (Installed i : installed) {
            if (i.signal().getNumber() == sig.getNumber()) {
                i.previous().handle(sig); // the JVM's own handler: shutdown hooks, then exit
            }
        }
    }

    /** True once a stop was asked for; the loop checks it after each step. */
    public boolean requested() {
        return requested.get();
    }

    /** Asks for a stop without a signal (tests, embedding UIs). */
    public void request(String why) {
        if (requested.compareAndSet(false, true)) {
            reason = why;
        }
    }

    /** What asked for the stop ("SIGINT", ...), or null. */
    public String reason() {
        return reason;
    }

    /** The conventional exit status after a signal-requested stop: 128 + signal number (130 for SIGINT). */
    public int exitCode() {
        for (Installed i : installed) {
            if (("SIG" + i.signal().getName()).equals(reason)) {
                return 128 + i.signal().getNumber();
            }
        }
        return requested() ? 1 : 0;
    }

    /** Names of the signals the process inherited as ignored, which therefore cannot be handled here. */
    public List<String> ignoredSignals() {
        return List.copyOf(ignored);
    }

    /** Names of the signals handled here. */
    public List<String> handledSignals() {
        return installed.stream().map(i -> i.signal().getName()).toList();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Installed i : installed) {
            Signal.handle(i.signal(), i.previous());
        }
    }
}
