package dev.bkd.core.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bad shapes and dtypes fail with an IllegalArgumentException naming them, on every backend. */
class OpsBadInputTest {
    /** A backend under test. */
    enum Impl {
        FAST, PURE;

        NDArray groupNorm(NDArray x, int groups, NDArray w, NDArray b) {
            return this == FAST ? TorchScriptOps.groupNorm(x, groups, w, b, 1e-5f) : DjlOps.groupNorm(x, groups, w, b, 1e-5f);
        }

        NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask) {
            return this == FAST ? TorchScriptOps.attention(q, k, v, mask, false, 0.5) : DjlOps.attention(q, k, v, mask, false, 0.5);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void groupNormRejectsBadInput(Impl impl) {
        try (NDManager m = OpsTesting.manager()) {
            NDArray x = m.zeros(new Shape(1, 10, 4));
            expect(() -> impl.groupNorm(x, 3, null, null), "10 channels", "(1, 10, 4)", "3 groups");
            expect(() -> impl.groupNorm(x, 0, null, null), "0 groups");
            expect(() -> impl.groupNorm(x, 5, m.ones(new Shape(12)), null), "weight", "(10)", "(12)");
            expect(() -> impl.groupNorm(x, 5, null, m.ones(new Shape(10, 1))), "bias", "(10, 1)");
            expect(() -> impl.groupNorm(m.zeros(new Shape(10)), 5, null, null), "(N, C, ...)", "(10)");
            expect(() -> impl.groupNorm(x.toType(DataType.INT32, false), 5, null, null), "int32");
            expect(() -> impl.groupNorm(m.zeros(new Shape(0, 10, 4)), 5, null, null), "empty", "(0, 10, 4)");
            expect(() -> impl.groupNorm(x, 5, m.ones(new Shape(10), DataType.FLOAT64), null), "weight", "float64", "float32");
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void attentionRejectsBadInput(Impl impl) {
        try (NDManager m = OpsTesting.manager()) {
            NDArray q = m.zeros(new Shape(1, 2, 4, 8));
            NDArray k16 = m.zeros(new Shape(1, 2, 4, 16));
            NDArray k = m.zeros(new Shape(1, 2, 6, 8));
            expect(() -> impl.attention(q, k16, k16, null), "head dim", "(1, 2, 4, 8)", "(1, 2, 4, 16)");
            expect(() -> impl.attention(q, k, m.zeros(new Shape(1, 2, 5, 8)), null), "6 keys", "5 values");
            expect(() -> impl.attention(q, m.zeros(new Shape(2, 6, 8)), m.zeros(new Shape(2, 6, 8)), null), "rank", "(2, 6, 8)");
            expect(() -> impl.attention(q, m.zeros(new Shape(1, 3, 6, 8)), m.zeros(new Shape(1, 3, 6, 8)), null), "batch/head", "(1, 3, 6, 8)");
            expect(() -> impl.attention(q, k, k, m.zeros(new Shape(1, 2, 4, 5))), "mask (1, 2, 4, 5)", "(1, 2, 4, 6)");
            expect(() -> impl.attention(m.zeros(new Shape(4, 8)), m.zeros(new Shape(4, 8)), m.zeros(new Shape(4, 8)), null), "rank");
            expect(() -> impl.attention(q, k.toType(DataType.FLOAT64, false), k, null), "k is float64");
            expect(() -> impl.attention(m.zeros(new Shape(1, 2, 0, 8)), k, k, null), "empty", "(1, 2, 0, 8)");
        }
    }

    private static void expect(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message \"" + e.getMessage() + "\" lacks \"" + f + "\"");
        }
    }
}
