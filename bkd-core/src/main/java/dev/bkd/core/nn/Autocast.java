package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.nn.AutocastPolicy.Op;
import dev.bkd.core.nn.AutocastPolicy.Rule;
import dev.bkd.core.ops.Ops;
import java.util.Map;

/**
 * torch.autocast for bkd's layers: inside {@code try (Autocast a = Autocast.fp16()) { ... }} every {@link Linear},
 * {@link Conv2d}, {@link GroupNorm}, {@link LayerNorm}, LoRA adapter and attention computes in the dtype the
 * {@link AutocastPolicy} table gives its op (float16 for convolutions, linear layers and attention, float32 for the
 * norms), casting its inputs and its float32 master weights inside the op with the differentiable {@link Ops#cast},
 * so gradients reach the weights in float32 as with torch's autocast. Outside any context (the default) nothing is
 * cast and every forward is exactly what it was.
 *
 * <p>The state belongs to the calling thread (like torch's), and contexts nest: {@link #disabled()} turns autocast off
 * inside an enabled region (a frozen teacher that keeps its own dtype), {@link #enter(State)} re-enters a captured
 * {@link #current()} state (gradient checkpointing replays a block under the state it first ran in). Close in reverse
 * order of opening, on the opening thread. No cast cache: torch's saves re-casting a weight used several times per
 * region, but each UNet weight is used once per forward, and a cache would hold graph nodes across replays.
 */
public final class Autocast implements AutoCloseable {
    /** An autocast setting: off, or on with a lower-precision dtype and a policy table. */
    public record State(boolean enabled, DataType dtype, Map<Op, Rule> policy) {
        /** No autocast: every op in its inputs' dtype. */
        public static final State OFF = new State(false, null, Map.of());

        public State {
            if (enabled && dtype != DataType.FLOAT16) {
                throw new IllegalArgumentException("autocast supports float16 only (bfloat16 cannot be handed to"
                        + " native code by DJL), got " + dtype);
            }
            policy = Map.copyOf(policy);
        }
    }

    private static final ThreadLocal<State> CURRENT = ThreadLocal.withInitial(() -> State.OFF);
    private static final ThreadLocal<Autocast> INNERMOST = new ThreadLocal<>();

    private final State previous;
    private final Autocast outer;
    private final Thread owner;
    private boolean closed;

    private Autocast(State state) {
        this.previous = CURRENT.get();
        this.outer = INNERMOST.get();
        this.owner = Thread.currentThread();
        CURRENT.set(state);
        INNERMOST.set(this);
    }

    /** Enables float16 autocast with torch's policy ({@link AutocastPolicy#TORCH}) on this thread until closed. */
    public static Autocast fp16() {
        return new Autocast(new State(true, DataType.FLOAT16, AutocastPolicy.TORCH));
    }

    /** Disables autocast on this thread until closed (torch.autocast(enabled=False)). */
    public static Autocast disabled() {
        return new Autocast(State.OFF);
    }

    /** Re-enters {@code state} (one {@link #current()} returned) on this thread until closed. */
    public static Autocast enter(State state) {
        return new Autocast(state);
    }

    /** This thread's autocast state now. */
    public static State current() {
        return CURRENT.get();
    }

    /** Whether autocast is on for this thread. */
    public static boolean isEnabled() {
        return CURRENT.get().enabled();
    }

    /**
     * The dtype {@code op} computes in under this thread's state, or null when it runs in its inputs' dtype
     * (autocast off, or the op not in the table).
     */
    public static DataType computeType(Op op) {
        State s = CURRENT.get();
        if (!s.enabled()) {
            return null;
        }
        Rule r = s.policy().get(op);
        if (r == null) {
            return null;
        }
        return r == Rule.FP32 ? DataType.FLOAT32 : s.dtype();
    }

    /**
     * {@code x} as {@code op} reads it under this thread's state: cast (differentiably) when autocast is on, the table
     * lists the op and {@code x} is a floating array of another dtype; otherwise {@code x} itself. Null stays null
     * (an absent bias); float64 arrays are left alone, as torch's autocast leaves them.
     */
    public static NDArray arg(Op op, NDArray x) {
        if (x == null) {
            return null;
        }
        DataType t = computeType(op);
        DataType in = x.getDataType();
        if (t == null || in == t || (in != DataType.FLOAT32 && in != DataType.FLOAT16)) {
            return x;
        }
        return Ops.cast(x, t);
    }

    /** Restores the state before this context; must be the innermost open one, closed on its own thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an Autocast context was closed on thread " + Thread.currentThread()
                    .getName() + " but opened on " + owner.getName() + "; autocast state is per thread");
        }
        if (INNERMOST.get() != this) {
            throw new IllegalStateException("Autocast contexts must close in reverse order of opening (use"
                    + " try-with-resources); an inner one is still open");
        }
        closed = true;
        CURRENT.set(previous);
        if (outer == null) {
            INNERMOST.remove();
        } else {
            INNERMOST.set(outer);
        }
    }
}
