package dev.bkd.core.weights;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.GroupNorm;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightsTest {
    /** A two-level tree shaped like a diffusers fragment. */
    static final class Block extends Module {
        final ModuleList<Module> resnets = child("resnets", new ModuleList<>());
        final Linear proj;

        Block() {
            resnets.add(new Conv2dHolder());
            proj = child("proj", new Linear(4, 3, true));
        }
    }

    static final class Conv2dHolder extends Module {
        Conv2dHolder() {
            child("norm1", new GroupNorm(2, 4, 1e-5f));
            child("conv1", new Conv2d(4, 4, 3, 1, 1));
        }
    }

    @Test
    void namesAreStateDictPaths() {
        Map<String, Weights.Slot> slots = Weights.slots(new Block());
        assertEquals(List.of("resnets.0.norm1.weight", "resnets.0.norm1.bias", "resnets.0.conv1.weight",
                "resnets.0.conv1.bias", "proj.weight", "proj.bias"), List.copyOf(slots.keySet()));
        assertEquals(4 + 4 + 4 * 4 * 9 + 4 + 12 + 3, Weights.parameterCount(new Block()));
    }

    @Test
    void strictLoadReportsEveryProblemAtOnce() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = full(m);
            w.remove("proj.bias");
            w.put("resnets.0.conv1.weight", m.zeros(new ai.djl.ndarray.types.Shape(4, 4, 1, 1)));
            w.put("extra.weight", m.zeros(new ai.djl.ndarray.types.Shape(1)));
            Block b = new Block();
            WeightLoadException e = assertThrows(WeightLoadException.class,
                    () -> Weights.load(b, StateDict.of(w), m, Weights.LoadOptions.strictFp32(), "test.safetensors"));
            String msg = e.getMessage();
            assertTrue(msg.contains("test.safetensors"), msg);
            assertTrue(msg.contains("proj.bias"), msg);
            assertTrue(msg.contains("extra.weight"), msg);
            assertTrue(msg.contains("resnets.0.conv1.weight: weights have (4, 4, 1, 1), the model needs (4, 4, 3, 3)"), msg);
            assertEquals(1, e.report().missing().size());
            // strict failure assigns nothing
            assertFalse(b.childMap().get("proj") instanceof Linear l && l.ownParameters().get("weight").isInitialized());

            LoadReport r = Weights.load(b, StateDict.of(w), m, Weights.LoadOptions.strictFp32().nonStrict(), "t");
            assertEquals(List.of("proj.bias"), r.missing());
            assertEquals(List.of("extra.weight"), r.unexpected());
        }
    }

    @Test
    void loadThenStateDictGivesTheSameValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = full(m);
            Block b = new Block();
            Weights.load(b, StateDict.of(w), m, Weights.LoadOptions.strictFp32(), "mem");
            Map<String, NDArray> back = Weights.stateDict(b);
            assertEquals(w.keySet(), back.keySet());
            for (String k : w.keySet()) {
                assertArrayEquals(w.get(k).toFloatArray(), back.get(k).toFloatArray(), k);
            }
        }
    }

    @Test
    void saveThenLoadIsByteIdentical(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = full(m);
            Block b = new Block();
            Weights.load(b, StateDict.of(w), m, Weights.LoadOptions.strictFp32(), "mem");
            java.nio.file.Path file = tmp.resolve("block.safetensors");
            Weights.save(b, file);
            Block again = new Block();
            try (StateDict sd = StateDicts.open(file)) {
                assertEquals(w.keySet(), sd.keys().stream().collect(java.util.stream.Collectors.toSet()));
                Weights.load(again, sd, m, Weights.LoadOptions.strictFp32(), file.toString());
            }
            Map<String, NDArray> back = Weights.stateDict(again);
            for (String k : w.keySet()) {
                assertArrayEquals(w.get(k).toByteArray(), back.get(k).toByteArray(), k);
            }
        }
    }

    @Test
    void castsToTheRequestedDtype() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = full(m);
            w.replaceAll((k, v) -> v.toType(DataType.FLOAT64, false));
            Block b = new Block();
            Weights.load(b, StateDict.of(w), m, Weights.LoadOptions.strictFp32(), "mem");
            assertEquals(DataType.FLOAT32, Weights.stateDict(b).get("proj.weight").getDataType());
        }
    }

    private static Map<String, NDArray> full(NDManager m) {
        Map<String, NDArray> w = new LinkedHashMap<>();
        for (Map.Entry<String, Weights.Slot> e : Weights.slots(new Block()).entrySet()) {
            w.put(e.getKey(), m.randomUniform(-1, 1, e.getValue().shape()));
        }
        return w;
    }
}
