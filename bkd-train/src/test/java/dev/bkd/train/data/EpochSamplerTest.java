package dev.bkd.train.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EpochSamplerTest {
    @Test
    void ordersArePermutationsFixedBySeedAndEpoch() {
        EpochSampler s = new EpochSampler(50, 9, true, DataPosition.start());
        int[] e0 = s.order(0);
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(e0, new EpochSampler(50, 9, true, DataPosition.start()).order(0));
        assertFalse(Arrays.equals(e0, s.order(1)));
        assertFalse(Arrays.equals(e0, new EpochSampler(50, 10, true, DataPosition.start()).order(0)));
        int[] plain = new EpochSampler(5, 9, false, DataPosition.start()).order(3);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, plain);
    }

    @Test
    void batchesStayInsideEpochsAndResumeExactly() {
        EpochSampler s = new EpochSampler(5, 1, true, DataPosition.start());
        List<int[]> straight = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            straight.add(s.nextBatch(2, false));
        }
        assertEquals(List.of(2, 2, 1, 2, 2, 1), straight.stream().map(b -> b.length).toList());
        EpochSampler a = new EpochSampler(5, 1, true, DataPosition.start());
        a.nextBatch(2, false);
        a.nextBatch(2, false);
        a.nextBatch(2, false);
        a.nextBatch(2, false);
        assertEquals(new DataPosition(1, 2), a.position());
        EpochSampler resumed = new EpochSampler(5, 1, true, a.position());
        assertArrayEquals(straight.get(4), resumed.nextBatch(2, false));
        assertArrayEquals(straight.get(5), resumed.nextBatch(2, false));

        EpochSampler drop = new EpochSampler(5, 1, true, DataPosition.start());
        for (int i = 0; i < 4; i++) {
            assertEquals(2, drop.nextBatch(2, true).length);
        }
        assertEquals(1, drop.epoch());
        assertThrows(IllegalArgumentException.class, () -> new EpochSampler(5, 1, true, new DataPosition(0, 6)));
    }
}
