package dev.bkd.core.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Scoped} frees a step's temporaries when it returns, and only them: the results and the outputs a feature-tap
 * session recorded inside the step survive, and join the enclosing scope (closed with it, not leaked). The UNet runs
 * every block this way, which is what keeps an SD1.5 forward at 512 px about 2 GB lower (BENCHMARKS.md).
 */
class ScopedTest {
    /** Two linears under one root, so a tap path ({@code second}) names an inner module's output. */
    static final class Pair extends Module {
        final Linear first = child("first", new Linear(3, 4, true));
        final Linear second = child("second", new Linear(4, 2, false));

        NDArray forward(NDArray x) {
            return Taps.out(second, second.forward(Taps.out(first, first.forward(x))));
        }
    }

    @Test
    void temporariesAreClosedWhenTheStepReturnsAndTheResultJoinsTheEnclosingScope() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(2, 3));
            AtomicReference<NDArray> temp = new AtomicReference<>();
            NDArray result;
            try (NDScope outer = new NDScope()) {
                outer.suppressNotUsedWarning();
                result = Scoped.keep(() -> {
                    temp.set(x.mul(x));
                    return temp.get().sum(new int[] {1});
                });
                assertTrue(temp.get().isReleased(), "the step's temporary outlived the step");
                assertFalse(result.isReleased());
                assertEquals(3f, result.getFloat(0));
            }
            assertTrue(result.isReleased(), "the result did not join the enclosing scope");
            assertFalse(x.isReleased(), "an array made before the step was closed");
        }
    }

    @Test
    void outputsTappedInsideTheStepSurviveItWhileItsTemporariesAreFreed() {
        try (NDManager m = NDManager.newBaseManager()) {
            Pair net = new Pair();
            net.initializeRandom(m, DataType.FLOAT32);
            NDArray x = m.randomNormal(new Shape(5, 3));
            try (Taps taps = Taps.open(net, List.of("first", "second"), "ScopedTest")) {
                AtomicReference<NDArray> temp = new AtomicReference<>();
                NDArray y = Scoped.keep(() -> {
                    temp.set(x.mul(2));
                    return net.forward(temp.get());
                });
                assertTrue(temp.get().isReleased(), "recording taps kept the step's temporaries alive");
                NDArray first = taps.results().get("first");
                assertFalse(first.isReleased(), "a tapped inner output was freed with the step's temporaries");
                assertSame(y, taps.results().get("second"));
                assertEquals(new Shape(5, 4), first.getShape());
                // and it is still the first layer's output: recompute it independently
                NDArray again = net.first.forward(x.mul(2));
                assertEquals(0f, first.sub(again).abs().max().getFloat(), 0f);
            }
        }
    }
}
