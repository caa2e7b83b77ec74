package dev.bkd.examples.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --seed}: any torch seed, 0 to 2^64-1 (kept in a long's bits, as torch's uint64), or -1 for a random seed
 * (null here: the pipeline draws one and records it in the PNG, as A1111 does with -1).
 */
public final class SeedConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        String v = value.strip();
        if (v.equals("-1")) {
            return null;
        }
        try {
            if (v.startsWith("-") || v.startsWith("+")) {
                throw new NumberFormatException();
            }
            return Long.parseUnsignedLong(v);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("`" + value + "` is not a seed: use 0 to 18446744073709551615 (2^64-1),"
                    + " or -1 for a random one");
        }
    }
}
