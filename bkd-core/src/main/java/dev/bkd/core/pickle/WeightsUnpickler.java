package dev.bkd.core.pickle;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader that can only build data: strings, numbers, tuples, lists, dicts, and tensor/storage
 * descriptions ({@link TensorRef}, {@link StorageRef}). It has no way to call code: a global outside
 * {@link PickleGlobal} is refused when it is named (GLOBAL/STACK_GLOBAL/INST), every opcode that would
 * instantiate a class (OBJ, NEWOBJ, extension registry) is refused, and REDUCE only "calls" the two allowed
 * constructors, which here just record their arguments. Every length is checked against the bytes that are
 * actually left, so a corrupt or hostile stream cannot make it allocate more than the stream's own size.
 */
public final class WeightsUnpickler {
    /** Stack values that are only markers or allowed globals, never user-visible results. */
    private record Mark() {}

    /** An immutable pickle tuple. */
    public record Tuple(List<Object> items) {}

    private static final Mark MARK = new Mark();

    private final byte[] data;
    private final String source;
    private int pos;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private WeightsUnpickler(byte[] data, String source) {
        this.data = data;
        this.source = source;
    }

    /**
     * The object the pickle in {@code data} describes. Dicts come back as insertion-ordered maps, tuples as
     * {@link Tuple}, tensors as {@link TensorRef}. {@code source} names the stream in every error.
     */
    public static Object load(byte[] data, String source) {
        return new WeightsUnpickler(data, source).run();
    }

    private Object run() {
        while (true) {
            if (pos >= data.length) {
                throw corrupt("ends without a STOP opcode (truncated)");
            }
            int at = pos;
            int op = data[pos++] & 0xFF;
            switch (op) {
                case 0x80 -> u8(); // PROTO: any version of the opcodes below is read the same way
                case 0x95 -> bytes(8); // FRAME: a length hint only
                case '.' -> {
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) {
                        throw corrupt("STOP with " + stack.size() + " value(s) left on the stack");
                    }
                    return result;
                }
                case '(' -> {
                    marks.add(stack.size());
                    stack.add(MARK);
                }
                case '}' -> push(new LinkedHashMap<>());
                case ']' -> push(new ArrayList<>());
                case ')' -> push(new Tuple(List.of()));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) u16());
                case 0x8a -> push(long1(u8()));
                case 'G' -> push(Double.longBitsToDouble(be64()));
                case 'X' -> push(string(u32()));
                case 0x8c -> push(string(u8()));
                case 0x8d -> push(string(u64()));
                case 'C' -> push(bytes(u8()).clone());
                case 'B' -> push(bytes(u32()).clone());
                case 'c' -> push(global(line(), line(), "names"));
                case 0x93 -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw corrupt("STACK_GLOBAL needs two strings");
                    }
                    push(global(m, n, "names"));
                }
                case 'i' -> {
                    String module = line();
                    String name = line();
                    throw refuse(module + "." + name, "instantiates (INST)");
                }
                case 'o', 0x81, 0x92 -> throw refuse(describeTop(), "instantiates (" + opName(op) + ")");
                case 0x82, 0x83, 0x84 -> throw corrupt("uses the extension registry (EXT" + (op - 0x81)
                        + "), which can name any global; refused");
                case 'P' -> throw corrupt("uses a text persistent id (PERSID), which torch archives never write");
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(u32(), peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(u32()));
                case 't' -> push(new Tuple(popMark()));
                case 0x85 -> push(tuple(1));
                case 0x86 -> push(tuple(2));
                case 0x87 -> push(tuple(3));
                case 'a' -> {
                    Object v = pop();
                    list(peek(), "APPEND").add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek(), "APPENDS").addAll(items);
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    dict(peek(), "SETITEM").put(key(k), v);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) {
                        throw corrupt("SETITEMS with an odd number of values");
                    }
                    Map<Object, Object> d = dict(peek(), "SETITEMS");
                    for (int i = 0; i < items.size(); i += 2) {
                        d.put(key(items.get(i)), items.get(i + 1));
                    }
                }
                case 'Q' -> push(persistent(pop()));
                case 'R' -> {
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 'b' -> {
                    Object state = pop();
                    build(peek(), state);
                }
                case '0' -> pop();
                default -> throw corrupt(String.format("uses opcode 0x%02x at byte %d, which a weights-only"
                        + " torch checkpoint never contains", op, at));
            }
        }
    }

    // ------------------------------------------------------------------ the only "calls"

    private Object global(String module, String name, String verb) {
        return PickleGlobal.lookup(module, name).orElseThrow(() -> refuse(module + "." + name, verb));
    }

    private Object reduce(Object callable, Object args) {
        if (!(callable instanceof PickleGlobal g)) {
            throw corrupt("REDUCE on a " + kind(callable) + ", not a global");
        }
        if (!(args instanceof Tuple t)) {
            throw corrupt("REDUCE of `" + g.qualifiedName() + "` without an argument tuple");
        }
        return switch (g) {
            case ORDERED_DICT -> {
                if (!t.items().isEmpty()) {
                    throw corrupt("collections.OrderedDict called with arguments (torch writes it empty)");
                }
                yield new LinkedHashMap<>();
            }
            case REBUILD_TENSOR_V2 -> rebuildTensor(t.items());
            default -> throw refuse(g.qualifiedName(), "calls");
        };
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private TensorRef rebuildTensor(List<Object> a) {
        if (a.size() < 6 || a.size() > 7 || !(a.get(0) instanceof StorageRef storage) || !(a.get(1) instanceof Long off)
                || !(a.get(2) instanceof Tuple size) || !(a.get(3) instanceof Tuple stride)) {
            throw corrupt("_rebuild_tensor_v2 with unexpected arguments " + kinds(a));
        }
        if (a.get(5) instanceof Map<?, ?> hooks && !hooks.isEmpty()) {
            throw corrupt("a tensor with backward hooks (torch refuses those in weights-only loads too)");
        }
        long[] sz = longs(size, "size");
        long[] st = longs(stride, "stride");
        if (sz.length != st.length) {
            throw corrupt("a tensor with " + sz.length + " sizes but " + st.length + " strides");
        }
        return new TensorRef(storage, off, sz, st);
    }

    /** {@code BINPERSID(("storage", <storage type>, key, location, numel))}: a storage record in the archive. */
    private StorageRef persistent(Object pid) {
        if (!(pid instanceof Tuple t) || t.items().size() != 5 || !"storage".equals(t.items().get(0))
                || !(t.items().get(1) instanceof PickleGlobal g) || g.storage().isEmpty()
                || !(t.items().get(2) instanceof String key) || !(t.items().get(3) instanceof String loc)
                || !(t.items().get(4) instanceof Long numel) || numel < 0) {
            throw corrupt("a persistent id that is not (\"storage\", <torch storage type>, key, location, numel): "
                    + (pid instanceof Tuple t ? kinds(t.items()) : kind(pid)));
        }
        return new StorageRef(g.storage().get(), key, loc, numel);
    }

    /** nn.Module state dicts are OrderedDicts carrying a {@code _metadata} attribute: accepted and dropped. */
    private void build(Object target, Object state) {
        if (!(target instanceof Map) || !(state == null || state instanceof Map)) {
            throw corrupt("BUILD (setting object state) on a " + kind(target) + "; only an OrderedDict's attributes"
                    + " are accepted");
        }
    }

    // ------------------------------------------------------------------ stack and bytes

    private UnsafePickleException refuse(String global, String what) {
        return new UnsafePickleException(source, global, what);
    }

    private PickleException corrupt(String what) {
        return new PickleException(source + ": not a readable weights-only pickle: " + what
                + " (at byte " + pos + " of " + data.length + ")");
    }

    private String describeTop() {
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (stack.get(i) instanceof PickleGlobal g) {
                return g.qualifiedName();
            }
        }
        return "(a class)";
    }

    private static String opName(int op) {
        return switch (op) {
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            default -> "NEWOBJ_EX";
        };
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw corrupt("pops an empty stack");
        }
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) {
            throw corrupt("pops a MARK as a value");
        }
        return o;
    }

    private Object peek() {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw corrupt("needs a value on the stack");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw corrupt("needs a MARK that is not there");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Tuple tuple(int n) {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop();
        }
        return new Tuple(java.util.Arrays.asList(items));
    }

    private Object memoGet(long index) {
        if (!memo.containsKey(index)) {
            throw corrupt("reads memo entry " + index + ", which was never stored");
        }
        return memo.get(index);
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, String op) {
        if (o instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw corrupt(op + " on a " + kind(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, String op) {
        if (o instanceof Map<?, ?> d) {
            return (Map<Object, Object>) d;
        }
        throw corrupt(op + " on a " + kind(o) + ", not a dict");
    }

    private Object key(Object k) {
        if (k instanceof String || k instanceof Long || k instanceof Boolean || k == null) {
            return k;
        }
        throw corrupt("a dict key that is a " + kind(k));
    }

    private long[] longs(Tuple t, String what) {
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.items().get(i) instanceof Long v) || v < 0) {
                throw corrupt("tensor " + what + " " + kinds(t.items()) + " is not a tuple of non-negative ints");
            }
            out[i] = v;
        }
        return out;
    }

    private static String kind(Object o) {
        return o == null ? "None" : o instanceof PickleGlobal g ? g.qualifiedName() : o.getClass().getSimpleName();
    }

    private static String kinds(List<Object> items) {
        return items.stream().map(WeightsUnpickler::kind).toList().toString();
    }

    private byte[] bytes(long n) {
        if (n < 0 || n > data.length - pos) {
            throw corrupt("a length of " + n + " bytes, but only " + (data.length - pos) + " are left (truncated"
                    + " or corrupt)");
        }
        byte[] b = java.util.Arrays.copyOfRange(data, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private String string(long n) {
        if (n < 0 || n > data.length - pos) {
            throw corrupt("a string of " + n + " bytes, but only " + (data.length - pos) + " are left (truncated"
                    + " or corrupt)");
        }
        String s = new String(data, pos, (int) n, StandardCharsets.UTF_8);
        pos += (int) n;
        return s;
    }

    /** A newline-terminated ASCII name (GLOBAL/INST operands), at most 256 bytes. */
    private String line() {
        for (int i = pos; i < Math.min(data.length, pos + 257); i++) {
            if (data[i] == '\n') {
                String s = new String(data, pos, i - pos, StandardCharsets.US_ASCII);
                pos = i + 1;
                return s;
            }
        }
        throw corrupt("a global name without its newline (truncated or corrupt)");
    }

    private int u8() {
        need(1);
        return data[pos++] & 0xFF;
    }

    private int u16() {
        need(2);
        int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8;
        pos += 2;
        return v;
    }

    private int i32() {
        need(4);
        int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8 | (data[pos + 2] & 0xFF) << 16
                | (data[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    private long u32() {
        return i32() & 0xFFFFFFFFL;
    }

    private long u64() {
        long lo = u32();
        long hi = u32();
        if (hi != 0) {
            throw corrupt("a length over 4 GiB");
        }
        return lo;
    }

    private long be64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (data[pos++] & 0xFF);
        }
        return v;
    }

    /** LONG1: a little-endian two's-complement integer of {@code n} bytes; more than 8 is refused. */
    private long long1(int n) {
        if (n > 8) {
            throw corrupt("an integer of " + n + " bytes (more than 64 bits)");
        }
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (data[pos + i] & 0xFF);
        }
        if (n > 0 && n < 8 && (data[pos + n - 1] & 0x80) != 0) {
            v -= 1L << (8 * n);
        }
        pos += n;
        return v;
    }

    private void need(int n) {
        if (data.length - pos < n) {
            throw corrupt("ends inside an opcode's operand (truncated)");
        }
    }
}
