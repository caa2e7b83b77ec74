package dev.bkd.models.pipeline;

import dev.bkd.core.random.Generator;
import dev.bkd.core.random.NoiseSource;
import dev.bkd.core.random.TorchGenerator;
import java.util.Locale;
import java.util.function.LongFunction;

/** Which generator a seed starts: the torch-identical one (the default) or bkd's own. */
public enum Rng {
    /**
     * {@code torch.Generator("cpu").manual_seed(seed)}, bit for bit: a seed from Python diffusers (or A1111 with
     * "RNG: CPU") gives the same latents, and the same image.
     */
    TORCH("CPU", TorchGenerator::new),
    /** bkd's xoshiro256++ {@link Generator} (what bkd used before torch parity; the trainers still use it). */
    BKD("bkd", Generator::new);

    private final String infotext;
    private final LongFunction<NoiseSource> factory;

    Rng(String infotext, LongFunction<NoiseSource> factory) {
        this.infotext = infotext;
        this.factory = factory;
    }

    /** A new source seeded with {@code seed}. */
    public NoiseSource create(long seed) {
        return factory.apply(seed);
    }

    /** The infotext value ("RNG: CPU" is A1111's name for torch's CPU generator). */
    public String infotext() {
        return infotext;
    }

    /** The CLI spelling ({@code torch}, {@code bkd}). */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code torch} / {@code bkd} (any case). */
    public static Rng parse(String text) {
        for (Rng r : values()) {
            if (r.cliName().equalsIgnoreCase(text.trim())) {
                return r;
            }
        }
        throw new GenerationRequestException("rng", "\"" + text + "\" is unknown; use torch or bkd");
    }
}
