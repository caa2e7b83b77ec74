package dev.bkd.train.data;

import dev.bkd.core.random.Generator;

/**
 * Visits item indices epoch after epoch, each epoch in an order fixed by (seed, epoch) alone, so a run resumed
 * at a saved {@link DataPosition} sees exactly the items it would have seen.
 */
public final class EpochSampler {
    private final int size;
    private final long seed;
    private final boolean shuffle;
    private long epoch;
    private int index;
    private int[] order;

    /** {@code shuffle} false visits items in dataset order every epoch. */
    public EpochSampler(int size, long seed, boolean shuffle, DataPosition start) {
        if (size <= 0) {
            throw new IllegalArgumentException("cannot sample from an empty dataset");
        }
        if (start.index() > size) {
            throw new IllegalArgumentException("saved data position " + start + " is past the end of a "
                    + size + "-item epoch: the dataset changed since it was saved");
        }
        this.size = size;
        this.seed = seed;
        this.shuffle = shuffle;
        this.epoch = start.epoch();
        this.index = (int) start.index();
        this.order = order(epoch);
    }

    /** The visiting order of {@code e}: Fisher-Yates driven by a generator seeded from (seed, epoch). */
    public int[] order(long e) {
        int[] o = new int[size];
        for (int i = 0; i < size; i++) {
            o[i] = i;
        }
        if (shuffle) {
            Generator r = new Generator(mix(seed, e, -1));
            for (int i = size - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        }
        return o;
    }

    /** The next item index; moves to the next epoch after the last one. */
    public int next() {
        if (index == size) {
            nextEpoch();
        }
        return order[index++];
    }

    /**
     * The next batch of indices, never spanning two epochs: the last one of an epoch is short, or skipped when
     * {@code dropLast}.
     */
    public int[] nextBatch(int batchSize, boolean dropLast) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (remainingInEpoch() == 0 || (dropLast && remainingInEpoch() < batchSize)) {
            nextEpoch();
        }
        if (dropLast && size < batchSize) {
            throw new IllegalArgumentException("batch size " + batchSize + " with drop_last leaves no batch of "
                    + size + " items");
        }
        int[] out = new int[Math.min(batchSize, remainingInEpoch())];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[index++];
        }
        return out;
    }

    /** Abandons the rest of the current epoch. */
    public void nextEpoch() {
        epoch++;
        index = 0;
        order = order(epoch);
    }

    /** Items left in the current epoch. */
    public int remainingInEpoch() {
        return size - index;
    }

    /** The position to save: the next call to {@link #next} continues from here. */
    public DataPosition position() {
        return new DataPosition(epoch, index);
    }

    /** The current epoch. */
    public long epoch() {
        return epoch;
    }

    /** The run's data seed. */
    public long seed() {
        return seed;
    }

    /** A generator for item {@code item}'s augmentation in epoch {@code e}, independent of visiting order. */
    public static Generator itemRandom(long seed, long e, int item) {
        return new Generator(mix(seed, e, item));
    }

    /** SplitMix64's finaliser chained over the values: well-spread seeds from small consecutive inputs. */
    static long mix(long seed, long epoch, long item) {
        long z = seed;
        for (long v : new long[] {epoch, item}) {
            z = fmix(z + 0x9E3779B97F4A7C15L + fmix(v));
        }
        return z;
    }

    private static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
