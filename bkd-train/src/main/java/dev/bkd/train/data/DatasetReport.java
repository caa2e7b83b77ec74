package dev.bkd.train.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows a dataset skipped, with reasons; logs a warning per skip (the first {@value #WARN_LIMIT}, then only
 * counts) and, when strict, turns the first skip into a {@link DatasetException}. Thread-safe.
 */
public final class DatasetReport {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetReport.class);
    /** Individual warnings logged before only counting. */
    public static final int WARN_LIMIT = 20;

    /** One skipped row. */
    public record Skip(SkipReason reason, String origin, String detail) {
        /** "metadata.jsonl line 3: missing image: a.png does not exist". */
        public String describe() {
            return origin + ": " + reason.label() + ": " + detail;
        }
    }

    private final String dataset;
    private final boolean strict;
    private final List<Skip> skips = new ArrayList<>();

    /** {@code dataset} names the folder in messages. */
    public DatasetReport(String dataset, boolean strict) {
        this.dataset = dataset;
        this.strict = strict;
    }

    /** Records a skipped row; throws instead when strict. */
    public synchronized void skip(SkipReason reason, String origin, String detail) {
        Skip s = new Skip(reason, origin, detail);
        if (strict) {
            throw new DatasetException(dataset + ": " + s.describe() + " (strict mode: fix or remove the row)");
        }
        skips.add(s);
        if (skips.size() <= WARN_LIMIT) {
            LOG.warn("{}: skipping {}", dataset, s.describe());
        } else if (skips.size() == WARN_LIMIT + 1) {
            LOG.warn("{}: more rows skipped; only counting from now on", dataset);
        }
    }

    /** Every skip so far, in order. */
    public synchronized List<Skip> skips() {
        return Collections.unmodifiableList(new ArrayList<>(skips));
    }

    /** Number of skips per reason (reasons with none left out). */
    public synchronized Map<SkipReason, Integer> counts() {
        Map<SkipReason, Integer> out = new EnumMap<>(SkipReason.class);
        for (Skip s : skips) {
            out.merge(s.reason(), 1, Integer::sum);
        }
        return out;
    }

    /** "skipped 3 rows (2 missing image, 1 empty or missing caption)" or "no rows skipped". */
    public synchronized String summary() {
        if (skips.isEmpty()) {
            return "no rows skipped";
        }
        List<String> parts = new ArrayList<>();
        counts().forEach((r, n) -> parts.add(n + " " + r.label()));
        return "skipped " + skips.size() + " row" + (skips.size() == 1 ? "" : "s") + " (" + String.join(", ", parts) + ")";
    }
}
