package dev.bkd.core.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.TorchPickleStateDict;
import dev.bkd.core.weights.WeightFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchArchiveTest {
    @TempDir
    Path dir;

    private static Path ckpt() {
        return RefData.dataset("checkpoints").resolve("ckpt/sd-tiny-fp16.ckpt");
    }

    @Test
    void referenceCkptEqualsTheSingleFileRoundedToFp16() throws IOException {
        Path ref = RefData.dataset("checkpoints");
        JsonArray table = JsonParser.parseString(Files.readString(ref.resolve("ckpt/sd-tiny-fp16.ckpt.json")))
                .getAsJsonObject().getAsJsonArray("tensors");
        try (StateDict sd = StateDicts.open(ckpt()); NDManager m = NDManager.newBaseManager();
                StateDict st = StateDicts.open(ref.resolve("sd1/sd-tiny.safetensors"))) {
            assertTrue(sd instanceof TorchPickleStateDict);
            List<String> order = new ArrayList<>();
            for (JsonElement e : table) {
                order.add(e.getAsJsonObject().get("key").getAsString());
            }
            assertEquals(965, order.size());
            assertEquals(order, new ArrayList<>(sd.keys()), "keys in pickle order");
            assertEquals(st.keys(), new java.util.HashSet<>(sd.keys()));
            for (JsonElement e : table) {
                String k = e.getAsJsonObject().get("key").getAsString();
                String type = e.getAsJsonObject().get("storage_type").getAsString();
                assertEquals(type.equals("LongStorage") ? "I64" : "F16", sd.spec(k).dtype(), k);
                assertEquals(st.spec(k).shape(), sd.spec(k).shape(), k);
                try (NDManager s = m.newSubManager()) {
                    NDArray want = st.load(k, s);
                    if (want.getDataType() == DataType.FLOAT32) {
                        want = want.toType(DataType.FLOAT16, false);
                    }
                    assertArrayEquals(want.toByteArray(), sd.load(k, s).toByteArray(), k);
                }
            }
        }
    }

    @Test
    void hostileGlobalsAreRefusedByNameAndNothingRuns() throws IOException {
        Path marker = dir.resolve("pwned");
        String cmd = "touch " + marker;
        Map<String, byte[]> hostile = new LinkedHashMap<>();
        hostile.put("os.system", new PickleBytes().proto().global("os", "system").str(cmd).op(0x85, 'R', '.').bytes());
        hostile.put("builtins.eval", new PickleBytes().proto().shortStr("builtins").shortStr("eval").op(0x93)
                .str("__import__('os').system('" + cmd + "')").op(0x85, 'R', '.').bytes());
        hostile.put("subprocess.Popen", new PickleBytes().proto().op('(').str(cmd).ascii("isubprocess\nPopen\n")
                .op('.').bytes());
        hostile.put("torch._utils._rebuild_parameter", new PickleBytes().proto().op('}')
                .global("torch._utils", "_rebuild_parameter").op(')', 'R', '.').bytes());
        hostile.put("collections.OrderedDict", new PickleBytes().proto().global("collections", "OrderedDict")
                .op(')', 0x81, '.').bytes());
        hostile.put("torch.FloatStorage", new PickleBytes().proto().global("torch", "FloatStorage")
                .op(')', 'R', '.').bytes());
        for (Map.Entry<String, byte[]> h : hostile.entrySet()) {
            Path f = PickleBytes.zip(dir.resolve(h.getKey() + ".ckpt"), "archive", h.getValue(), Map.of());
            UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> StateDicts.open(f), h.getKey());
            assertEquals(h.getKey(), e.global());
            assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("`" + h.getKey() + "`"),
                    e.getMessage());
        }
        assertFalse(Files.exists(marker), "a refused pickle must not run anything");
    }

    @Test
    void exoticOpcodesAndBrokenPicklesAreCleanErrors() throws IOException {
        Map<String, byte[]> broken = new LinkedHashMap<>();
        broken.put("opcode 0x96", new PickleBytes().proto().op(0x96, 1, 0, 0, 0, 0, 0, 0, 0, 0, '.').bytes());
        broken.put("extension registry", new PickleBytes().proto().op(0x82, 1, '.').bytes());
        broken.put("without a STOP", new PickleBytes().proto().op('}').bytes());
        // a 2 GiB string length in a tiny stream: checked against what is left, nothing allocated
        broken.put("only", new PickleBytes().proto().op('X').le32(0x7fffffff).bytes());
        broken.put("never stored", new PickleBytes().proto().op('h', 7, '.').bytes());
        broken.put("persistent id", new PickleBytes().proto().op('(').str("storage").str("x").op('t', 'Q', '.')
                .bytes());
        for (Map.Entry<String, byte[]> b : broken.entrySet()) {
            Path f = PickleBytes.zip(dir.resolve("b.ckpt"), "archive", b.getValue(), Map.of());
            PickleException e = assertThrows(PickleException.class, () -> StateDicts.open(f), b.getKey());
            assertFalse(e instanceof UnsafePickleException && !b.getKey().equals("extension registry"));
            assertTrue(e.getMessage().contains(b.getKey()), b.getKey() + ": " + e.getMessage());
        }
    }

    @Test
    void brokenArchivesAreCleanErrors() throws IOException {
        byte[] whole = Files.readAllBytes(ckpt());
        Path half = Files.write(dir.resolve("half.ckpt"), java.util.Arrays.copyOf(whole, whole.length / 2));
        PickleException e = assertThrows(PickleException.class, () -> StateDicts.open(half));
        assertTrue(e.getMessage().contains("corrupt or truncated"), e.getMessage());

        Path raw = Files.write(dir.resolve("legacy.pt"), new PickleBytes().proto().op('}', '.').bytes());
        e = assertThrows(PickleException.class, () -> StateDicts.open(raw));
        assertTrue(e.getMessage().contains("Legacy pre-1.6"), e.getMessage());

        byte[] one = new PickleBytes().proto().op('}').str("w").tensor("FloatStorage", "0", 4, 0, new int[] {4},
                new int[] {1}).op('s', '.').bytes();
        Path missing = PickleBytes.zip(dir.resolve("missing.ckpt"), "m", one, Map.of());
        e = assertThrows(PickleException.class, () -> StateDicts.open(missing));
        assertTrue(e.getMessage().contains("m/data/0") && e.getMessage().contains("does not contain"), e.getMessage());

        Path shortRecord = PickleBytes.zip(dir.resolve("short.ckpt"), "s", one, Map.of("0", new byte[12]));
        e = assertThrows(PickleException.class, () -> StateDicts.open(shortRecord));
        assertTrue(e.getMessage().contains("holds 12 bytes") && e.getMessage().contains("4 F32"), e.getMessage());

        byte[] beyond = new PickleBytes().proto().op('}').str("w").tensor("FloatStorage", "0", 4, 2, new int[] {4},
                new int[] {1}).op('s', '.').bytes();
        Path outside = PickleBytes.zip(dir.resolve("outside.ckpt"), "o", beyond, Map.of("0", new byte[16]));
        e = assertThrows(PickleException.class, () -> StateDicts.open(outside));
        assertTrue(e.getMessage().contains("reaches element 6"), e.getMessage());

        Path noPkl = PickleBytes.zip(dir.resolve("nopkl.bin"), "x/y", new byte[0], Map.of());
        e = assertThrows(PickleException.class, () -> StateDicts.open(noPkl));
        assertTrue(e.getMessage().contains("data.pkl"), e.getMessage());
    }

    @Test
    void stridedViewsOffsetsAndWideningFollowTorch() throws IOException {
        // storage [1, 2, 3, 4, 5] as float32; w = storage[1:5].view(2, 2).t() -> [[2, 4], [3, 5]]
        ByteBuffer f = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i <= 5; i++) {
            f.putFloat(i);
        }
        // bf16 1.5 = 0x3FC0, -2 = 0xC000
        byte[] bf = {(byte) 0xC0, 0x3F, 0x00, (byte) 0xC0};
        byte[] pkl = new PickleBytes().proto().op('}')
                .str("w").tensor("FloatStorage", "0", 5, 1, new int[] {2, 2}, new int[] {1, 2}).op('s')
                .str("b").tensor("BFloat16Storage", "1", 2, 0, new int[] {2}, new int[] {1}).op('s')
                .str("step").binint(7).op('s', '.').bytes();
        Path file = PickleBytes.zip(dir.resolve("pytorch_model.bin"), "archive", pkl, Map.of("0", f.array(), "1", bf));
        assertEquals(file, WeightFiles.resolve(dir, null));
        try (StateDict sd = StateDicts.open(dir); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("w", "b"), new ArrayList<>(sd.keys()));
            assertEquals(new StateDict.TensorSpec("BF16", new Shape(2)), sd.spec("b"));
            assertArrayEquals(new float[] {2, 4, 3, 5}, sd.load("w", m).toFloatArray());
            NDArray b = sd.load("b", m);
            assertEquals(DataType.FLOAT32, b.getDataType());
            assertArrayEquals(new float[] {1.5f, -2f}, b.toFloatArray());
        }
    }
}
