package dev.bkd.models.inception;

import java.util.List;

/**
 * One branch of an Inception block: an optional pooling, a chain of convolutions, and optionally two parallel
 * end convolutions whose outputs are concatenated (the E blocks' 1x3 / 3x1 split).
 */
record Branch(PoolKind pool, List<Named> chain, List<Named> split) {

    /** A convolution under its state-dict name inside the block ({@code branch5x5_2}). */
    record Named(String key, ConvSpec spec) {}

    static Named conv(String key, ConvSpec spec) {
        return new Named(key, spec);
    }

    static Branch of(Named... chain) {
        return new Branch(null, List.of(chain), List.of());
    }

    static Branch pooled(PoolKind pool, Named... chain) {
        return new Branch(pool, List.of(chain), List.of());
    }

    static Branch split(List<Named> chain, Named a, Named b) {
        return new Branch(null, chain, List.of(a, b));
    }
}
