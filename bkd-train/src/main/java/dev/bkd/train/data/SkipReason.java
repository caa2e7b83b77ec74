package dev.bkd.train.data;

/** Why a dataset row was left out. */
public enum SkipReason {
    MISSING_IMAGE("missing image"),
    UNREADABLE_IMAGE("unreadable image"),
    EMPTY_CAPTION("empty or missing caption"),
    OUTSIDE_FOLDER("path outside the data folder"),
    BAD_ROW("malformed metadata row"),
    DAMAGED_SHARD("missing or damaged tar shard");

    private final String label;

    SkipReason(String label) {
        this.label = label;
    }

    /** Human wording for summaries. */
    public String label() {
        return label;
    }
}
