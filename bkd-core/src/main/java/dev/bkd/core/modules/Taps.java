package dev.bkd.core.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.util.Pair;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Feature taps, bkd's replacement for PyTorch forward hooks (DJL has none): while a session is open on
 * this thread, every module forward reports its output through {@link #out}, and the outputs of the
 * requested module paths ({@code down_blocks.0}, {@code mid_block.attentions.0.proj_out}) are kept.
 * With no open session {@link #out} is one thread-local read.
 */
public final class Taps implements AutoCloseable {
    private static final ThreadLocal<Taps> ACTIVE = new ThreadLocal<>();

    private final Map<Block, String> wanted = new IdentityHashMap<>();
    private final Map<String, NDArray> got = new LinkedHashMap<>();
    private final Taps previous;

    private Taps(Map<Block, String> wanted) {
        this.wanted.putAll(wanted);
        this.previous = ACTIVE.get();
        ACTIVE.set(this);
    }

    /**
     * Opens a session recording {@code paths} under {@code root}. Unknown paths fail with a
     * {@link TapException} that lists the valid ones.
     */
    public static Taps open(Module root, Collection<String> paths, String owner) {
        Map<String, Block> all = tappable(root);
        Map<Block, String> wanted = new IdentityHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (String p : paths) {
            Block b = all.get(p);
            if (b == null) {
                unknown.add(p);
            } else {
                wanted.put(b, p);
            }
        }
        if (!unknown.isEmpty()) {
            throw new TapException(owner + ": no module at feature tap path(s) " + unknown
                    + "; valid paths: " + String.join(", ", all.keySet()));
        }
        return new Taps(wanted);
    }

    /** Every module path under {@code root} whose output can be tapped (module lists have no forward). */
    public static Map<String, Block> tappable(Module root) {
        Map<String, Block> out = new LinkedHashMap<>();
        walk(root, "", out);
        return out;
    }

    private static void walk(Block block, String prefix, Map<String, Block> out) {
        for (Pair<String, Block> c : block.getChildren()) {
            String path = prefix + c.getKey();
            if (!(c.getValue() instanceof ModuleList)) {
                out.put(path, c.getValue());
            }
            walk(c.getValue(), path + ".", out);
        }
    }

    /** True while a session is open on this thread: callers must then keep module outputs alive for it. */
    public static boolean recording() {
        return ACTIVE.get() != null;
    }

    /** The session open on this thread, or null. */
    static Taps active() {
        return ACTIVE.get();
    }

    /** Reports {@code value} as the output of {@code module}; returns it unchanged. */
    public static NDArray out(Block module, NDArray value) {
        Taps t = ACTIVE.get();
        if (t != null) {
            String path = t.wanted.get(module);
            if (path != null) {
                t.got.put(path, value);
            }
        }
        return value;
    }

    /** What was recorded so far, in order, without checking that every requested path ran (a live view). */
    public Map<String, NDArray> recorded() {
        return java.util.Collections.unmodifiableMap(got);
    }

    /** The recorded outputs by path, in the order they were produced. */
    public Map<String, NDArray> results() {
        for (String p : wanted.values()) {
            if (!got.containsKey(p)) {
                throw new TapException("feature tap `" + p + "` was requested but that module did not run in this forward");
            }
        }
        return got;
    }

    @Override
    public void close() {
        ACTIVE.set(previous);
    }
}
