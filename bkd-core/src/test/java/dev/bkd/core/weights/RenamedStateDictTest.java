package dev.bkd.core.weights;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RenamedStateDictTest {
    @Test
    void viewsKeysUnderNewNames() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            w.put("a.weight", m.create(new float[] {1, 2}));
            w.put("b.weight", m.create(new float[] {3}));
            StateDict view = RenamedStateDict.of(StateDict.of(w), k -> "p." + k, "mem");
            assertEquals(List.of("p.a.weight", "p.b.weight"), List.copyOf(view.keys()));
            assertEquals(new Shape(2), view.spec("p.a.weight").shape());
            assertEquals("F32", view.spec("p.a.weight").dtype());
            assertArrayEquals(new float[] {3}, view.load("p.b.weight", m).toFloatArray());
            assertFalse(view.contains("a.weight"));
            assertThrows(IllegalArgumentException.class, () -> view.load("a.weight", m));
        }
    }

    @Test
    void twoKeysOnOneNameNameBoth() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            w.put("attn.query.weight", m.create(new float[] {1}));
            w.put("attn.to_q.weight", m.create(new float[] {2}));
            BkdException e = assertThrows(BkdException.class, () -> RenamedStateDict.of(StateDict.of(w),
                    k -> k.replace(".query.", ".to_q."), "vae/diffusion_pytorch_model.safetensors"));
            assertTrue(e.getMessage().contains("vae/diffusion_pytorch_model.safetensors"), e.getMessage());
            assertTrue(e.getMessage().contains("`attn.query.weight`") && e.getMessage().contains("`attn.to_q.weight`"),
                    e.getMessage());
        }
    }
}
