package dev.bkd.train.data;

/** Where a run is in its data: the epoch and how many of that epoch's items were consumed. */
public record DataPosition(long epoch, long index) {
    public DataPosition {
        if (epoch < 0 || index < 0) {
            throw new IllegalArgumentException("data position must be >= 0, got epoch " + epoch + " index " + index);
        }
    }

    /** The start of the first epoch. */
    public static DataPosition start() {
        return new DataPosition(0, 0);
    }
}
