package dev.bkd.train.distill;

import java.util.List;

/** What to distill: where it came from ({@code bk-sdm/tiny}, a file), the loss weights and the feature pairs. */
public record KdSpec(String source, LossWeights weights, List<FeaturePair> pairs) {
    public KdSpec {
        pairs = List.copyOf(pairs);
    }

    /** The same spec with other weights. */
    public KdSpec withWeights(LossWeights w) {
        return new KdSpec(source, w, pairs);
    }

    /** The same spec with other pairs, from {@code from}. */
    public KdSpec withPairs(List<FeaturePair> p, String from) {
        return new KdSpec(source + " + pairs from " + from, weights, p);
    }

    /** Teacher module paths to tap, in pair order (duplicates once). */
    public List<String> teacherTaps() {
        return pairs.stream().map(FeaturePair::teacher).distinct().toList();
    }

    /** Student module paths to tap, in pair order (duplicates once). */
    public List<String> studentTaps() {
        return pairs.stream().map(FeaturePair::student).distinct().toList();
    }
}
