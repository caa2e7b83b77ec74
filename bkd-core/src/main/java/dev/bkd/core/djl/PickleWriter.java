package dev.bkd.core.djl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes the few pickle protocol-2 opcodes a TorchScript archive's {@code data.pkl} and
 * {@code constants.pkl} use, in the order torch's own Pickler emits them (globals and strings are
 * memoised with BINPUT right after they are pushed).
 */
final class PickleWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int memo;

    PickleWriter() {
        out.write(0x80); // PROTO
        out.write(2);
    }

    /** GLOBAL module.name, memoised. */
    PickleWriter global(String module, String name) {
        if (module.indexOf('\n') >= 0 || name.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("pickle GLOBAL names cannot contain newlines: " + module + "." + name);
        }
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return memoize();
    }

    /** BINUNICODE, memoised. */
    PickleWriter string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        int32(b.length);
        out.writeBytes(b);
        return memoize();
    }

    PickleWriter bool(boolean b) {
        return op(b ? 0x88 : 0x89); // NEWTRUE / NEWFALSE
    }

    PickleWriter emptyTuple() {
        return op(')');
    }

    PickleWriter emptyDict() {
        return op('}');
    }

    PickleWriter mark() {
        return op('(');
    }

    /** NEWOBJ: cls(*args) from the class and argument tuple on the stack. */
    PickleWriter newObj() {
        return op(0x81);
    }

    PickleWriter setItems() {
        return op('u');
    }

    /** BUILD: sets the state dict on the object below it. */
    PickleWriter build() {
        return op('b');
    }

    /** BINPUT (or LONG_BINPUT past 255) of the value on top of the stack. */
    PickleWriter memoize() {
        if (memo <= 0xFF) {
            out.write('q');
            out.write(memo);
        } else {
            out.write('r');
            int32(memo);
        }
        memo++;
        return this;
    }

    /** STOP, and the finished pickle. */
    byte[] stop() {
        out.write('.');
        return out.toByteArray();
    }

    private PickleWriter op(int code) {
        out.write(code);
        return this;
    }

    private void int32(int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
