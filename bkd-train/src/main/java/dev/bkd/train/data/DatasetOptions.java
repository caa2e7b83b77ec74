package dev.bkd.train.data;

/**
 * How to read a captioned image folder. {@code captionColumn} names the caption field of metadata.jsonl /
 * metadata.csv (diffusers' {@code --caption_column}); {@code strict} makes any bad row fatal.
 */
public record DatasetOptions(String captionColumn, boolean strict) {
    /** The column imagefolder reads image paths from. */
    public static final String FILE_NAME = "file_name";

    public DatasetOptions {
        if (captionColumn == null || captionColumn.isBlank()) {
            throw new IllegalArgumentException("caption column must be named");
        }
    }

    /** Caption column {@code text}, bad rows skipped with a warning. */
    public static DatasetOptions defaults() {
        return new DatasetOptions("text", false);
    }

    /** The same options with another caption column. */
    public DatasetOptions withCaptionColumn(String column) {
        return new DatasetOptions(column, strict);
    }

    /** The same options, strict or not. */
    public DatasetOptions withStrict(boolean s) {
        return new DatasetOptions(captionColumn, s);
    }
}
