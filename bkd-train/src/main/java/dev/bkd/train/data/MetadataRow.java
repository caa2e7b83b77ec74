package dev.bkd.train.data;

import java.util.List;

/**
 * One declared item before validation: the image path as written, its captions (null when the row has no
 * caption field), where it was declared, and a parse problem (non-null makes the row a {@link SkipReason#BAD_ROW}).
 */
record MetadataRow(String origin, String fileName, List<String> captions, String problem) {
    static MetadataRow bad(String origin, String problem) {
        return new MetadataRow(origin, null, null, problem);
    }
}
