package dev.bkd.train.loop;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.DataPosition;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmptyPromptsTest {
    private static final int N = 64;

    /** Row i of every batch is filled with the value i + 1; captions are "c<i>". */
    private static final class Fixed implements BatchSource {
        @Override
        public CleanBatch next(NDManager m, Generator rng) {
            NDArray text = m.arange(1f, N + 1f).reshape(N, 1, 1).broadcast(new Shape(N, 3, 2)).duplicate();
            List<String> captions = java.util.stream.IntStream.range(0, N).mapToObj(i -> "c" + i).toList();
            return new CleanBatch(m.zeros(new Shape(N, 4, 2, 2)), text, captions);
        }

        @Override
        public DataPosition position() {
            return DataPosition.start();
        }

        @Override
        public void seek(DataPosition position) {}

        @Override
        public int size() {
            return N;
        }
    }

    @Test
    void dropsExactlyTheRowsTheGeneratorPicks() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray empty = m.full(new Shape(1, 3, 2), -5f);
            BatchSource s = EmptyPrompts.wrap(new Fixed(), 0.3, empty);
            CleanBatch b = s.next(m, new Generator(11));
            Generator same = new Generator(11);
            float[] v = b.encoderHiddenStates().toFloatArray();
            int dropped = 0;
            for (int i = 0; i < N; i++) {
                boolean drop = same.nextDouble() < 0.3;
                dropped += drop ? 1 : 0;
                float want = drop ? -5f : i + 1f;
                for (int j = 0; j < 6; j++) {
                    assertEquals(want, v[i * 6 + j], "row " + i);
                }
                assertEquals(drop ? "" : "c" + i, b.captions().get(i));
            }
            assertTrue(dropped > 5 && dropped < 35, "about 30% of 64 rows, got " + dropped);
        }
    }

    @Test
    void zeroIsTheSourceItselfAndOneDropsAll() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray empty = m.zeros(new Shape(1, 3, 2));
            BatchSource inner = new Fixed();
            assertSame(inner, EmptyPrompts.wrap(inner, 0, empty));
            CleanBatch b = EmptyPrompts.wrap(inner, 1, empty).next(m, new Generator(1));
            assertEquals(0f, b.encoderHiddenStates().abs().sum().getFloat());
            assertEquals(Collections.nCopies(N, ""), b.captions());
        }
    }

    @Test
    void refusesANonProbability() {
        for (double p : new double[] {-0.1, 1.5, Double.NaN}) {
            ConfigException e = assertThrows(ConfigException.class, () -> EmptyPrompts.check(p));
            assertTrue(e.getMessage().contains("--proportion-empty-prompts"), e.getMessage());
        }
    }
}
