package dev.bkd.serve;

import dev.bkd.models.schedulers.Schedulers;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A1111 sampler names and the bkd scheduler each one runs (diffusers' equivalents on the model's scheduler config).
 * A request's {@code sampler_name} may be the name, an alias (A1111's k-diffusion aliases) or the bkd name; matching
 * ignores case. A1111 has no DDPM sampler: it is listed under bkd's label. README "Serving" shows this table.
 *
 * <pre>
 * A1111 name   aliases                          bkd scheduler
 * Euler a      k_euler_a, k_euler_ancestral     euler-a
 * Euler        k_euler                          euler
 * LMS          k_lms                            lms
 * DPM++ 2M     k_dpmpp_2m                       dpm++2m
 * DDIM         -                                ddim
 * PNDM         PLMS                             pndm  (SD's config skips the PRK steps: that is PLMS)
 * DDPM         -                                ddpm
 * </pre>
 */
public final class Samplers {
    /** One row: the name /sdapi/v1/samplers lists, its aliases, and the bkd scheduler. */
    public record Sampler(String name, List<String> aliases, String scheduler) {}

    /** In A1111's order where it has them. */
    public static final List<Sampler> TABLE = List.of(
            new Sampler("Euler a", List.of("k_euler_a", "k_euler_ancestral"), "euler-a"),
            new Sampler("Euler", List.of("k_euler"), "euler"),
            new Sampler("LMS", List.of("k_lms"), "lms"),
            new Sampler("DPM++ 2M", List.of("k_dpmpp_2m"), "dpm++2m"),
            new Sampler("DDIM", List.of(), "ddim"),
            new Sampler("PNDM", List.of("PLMS"), "pndm"),
            new Sampler("DDPM", List.of(), "ddpm"));

    private static final Map<String, Sampler> BY_KEY = index();

    private Samplers() {}

    private static Map<String, Sampler> index() {
        java.util.HashMap<String, Sampler> m = new java.util.HashMap<>();
        for (Sampler s : TABLE) {
            m.put(key(s.name()), s);
            m.put(key(s.scheduler()), s);
            s.aliases().forEach(a -> m.put(key(a), s));
        }
        return Map.copyOf(m);
    }

    private static String key(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** The row for an A1111 name, alias or bkd scheduler name. */
    public static Optional<Sampler> find(String name) {
        return Optional.ofNullable(BY_KEY.get(key(name)));
    }

    /** The row for a bkd scheduler name (every name of {@link Schedulers#names()} has one). */
    public static Sampler ofScheduler(String scheduler) {
        return find(scheduler).orElseThrow(() -> new IllegalStateException("bkd scheduler `" + scheduler
                + "` has no row in Samplers.TABLE"));
    }

    /** The A1111 names, for error messages. */
    static List<String> names() {
        return TABLE.stream().map(Sampler::name).toList();
    }
}
