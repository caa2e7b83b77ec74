package dev.bkd.models.schedulers;

import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Builds schedulers by name, from any scheduler's config (diffusers' {@code Cls.from_config}: fields the file
 * sets carry over, the rest take the new class's defaults).
 */
public final class Schedulers {
    private Schedulers() {}

    private record Entry(String className, Function<SchedulerConfig, Scheduler> make) {}

    private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put("pndm", new Entry(PNDMScheduler.CLASS_NAME, PNDMScheduler::new));
        BY_NAME.put("ddim", new Entry(DDIMScheduler.CLASS_NAME, DDIMScheduler::new));
        BY_NAME.put("ddpm", new Entry(DDPMScheduler.CLASS_NAME, DDPMScheduler::new));
        BY_NAME.put("euler", new Entry(EulerDiscreteScheduler.CLASS_NAME, EulerDiscreteScheduler::new));
        BY_NAME.put("euler-a", new Entry(EulerAncestralDiscreteScheduler.CLASS_NAME, EulerAncestralDiscreteScheduler::new));
        BY_NAME.put("dpm++2m", new Entry(DPMSolverMultistepScheduler.CLASS_NAME, DPMSolverMultistepScheduler::new));
        BY_NAME.put("lms", new Entry(LMSDiscreteScheduler.CLASS_NAME, LMSDiscreteScheduler::new));
    }

    /** The accepted names, in order: pndm, ddim, ddpm, euler, euler-a, dpm++2m, lms. */
    public static String[] names() {
        return BY_NAME.keySet().toArray(new String[0]);
    }

    /**
     * A scheduler by bkd name ({@link #names()}) or diffusers class name (e.g. {@code EulerDiscreteScheduler}),
     * built from {@code cfg}, whichever class that config was written for.
     */
    public static Scheduler create(String name, SchedulerConfig cfg) {
        Entry e = BY_NAME.get(name);
        if (e == null) {
            for (Entry c : BY_NAME.values()) {
                if (c.className().equals(name)) {
                    e = c;
                }
            }
        }
        if (e == null) {
            throw new ConfigException("unknown scheduler \"" + name + "\" (known: " + String.join(", ", names())
                    + ", or their diffusers class names)");
        }
        return e.make().apply(cfg);
    }

    /** The scheduler a config names in {@code _class_name} (what diffusers' pipeline loading builds). */
    public static Scheduler fromConfig(SchedulerConfig cfg) {
        if (cfg.className() == null) {
            throw new ConfigException(SchedulerConfig.FILE_NAME + ": field `_class_name` is missing; cannot tell"
                    + " which scheduler to build (pass a name instead)");
        }
        for (Entry c : BY_NAME.values()) {
            if (c.className().equals(cfg.className())) {
                return c.make().apply(cfg);
            }
        }
        throw new ConfigException(SchedulerConfig.FILE_NAME + ": field `_class_name` = \"" + cfg.className()
                + "\" is not supported by bkd (supported: " + String.join(", ",
                        BY_NAME.values().stream().map(Entry::className).toList()) + ")");
    }

    /** Reads {@code scheduler_config.json} and builds the class it names. */
    public static Scheduler load(Path configFile) {
        return fromConfig(SchedulerConfig.read(configFile));
    }
}
