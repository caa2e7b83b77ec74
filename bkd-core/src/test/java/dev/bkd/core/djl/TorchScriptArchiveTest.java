package dev.bkd.core.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/** The Java-written TorchScript archive: byte layout from the pickle spec, and libtorch accepts it. */
class TorchScriptArchiveTest {
    @Test
    void modulePickleIsTheProtocol2Program() {
        // PROTO 2; GLOBAL '__torch__\nOps\n'; BINPUT 0; EMPTY_TUPLE; NEWOBJ; EMPTY_DICT; MARK;
        // BINUNICODE 'training'; BINPUT 1; NEWFALSE; SETITEMS; BUILD; BINPUT 2; STOP
        byte[] expected = concat(new byte[] {(byte) 0x80, 2, 'c'}, ascii("__torch__\nOps\n"),
                new byte[] {'q', 0, ')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0}, ascii("training"),
                new byte[] {'q', 1, (byte) 0x89, 'u', 'b', 'q', 2, '.'});
        assertArrayEquals(expected, TorchScriptArchive.modulePickle("Ops"));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, ')', '.'}, new PickleWriter().emptyTuple().stop());
    }

    @Test
    void memoIndicesPast255UseLongBinput() {
        PickleWriter p = new PickleWriter();
        for (int i = 0; i < 256; i++) {
            p.emptyTuple().memoize();
        }
        byte[] b = p.emptyTuple().memoize().stop();
        // last: EMPTY_TUPLE, LONG_BINPUT 256 (little-endian u32), STOP
        assertArrayEquals(new byte[] {')', 'r', 0, 1, 0, 0, '.'}, Arrays.copyOfRange(b, b.length - 7, b.length));
    }

    @Test
    void archiveHasTorchJitSaveLayout() throws IOException {
        byte[] zip = TorchScriptArchive.write("ops", OpsScript.CLASS, OpsScript.source());
        List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName());
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
            }
        }
        assertEquals(List.of("ops/data.pkl", "ops/code/__torch__.py", "ops/constants.pkl", "ops/version", "ops/byteorder"), names);
    }

    @Test
    void libtorchLoadsItWithEveryMethod() throws IOException {
        try (PtNDManager m = (PtNDManager) Engine.getEngine("PyTorch").newBaseManager()) {
            byte[] zip = TorchScriptArchive.write("ops", OpsScript.CLASS, OpsScript.source());
            PtSymbolBlock block = JniUtils.loadModule(m, new ByteArrayInputStream(zip), true, false);
            List<String> methods = new ArrayList<>(Arrays.asList(JniUtils.getMethodNames(block)));
            methods.sort(null);
            assertEquals(List.of("adamw_", "cast", "group_norm", "group_norm_w", "group_norm_w_b", "sdpa", "sdpa_mask",
                    "sdpa_mask_causal"),
                    methods);
        }
    }

    @Test
    void badSourceIsAJavaExceptionNotACrash() {
        try (PtNDManager m = (PtNDManager) Engine.getEngine("PyTorch").newBaseManager()) {
            String broken = "class Ops(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n"
                    + "  def f(self: __torch__.Ops,\n    x: Tensor) -> Tensor:\n    return torch.no_such_op(x)\n";
            byte[] zip = TorchScriptArchive.write("ops", "Ops", broken);
            assertThrows(RuntimeException.class, () -> JniUtils.loadModule(m, new ByteArrayInputStream(zip), true, false));
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
