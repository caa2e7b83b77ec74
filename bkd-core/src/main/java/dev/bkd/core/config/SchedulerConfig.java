package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code scheduler/scheduler_config.json}: the union of the fields of the diffusers schedulers bkd implements
 * (PNDM, DDIM, DDPM, Euler, Euler ancestral, DPM-Solver multistep, LMS), with diffusers' class defaults.
 *
 * <p>Every field is one row of {@link #FIELDS} (key, type, default, supported values, check); reading, validation,
 * saving and equality all go through it. Like diffusers' {@code from_config}, a field absent from the file takes
 * the default of the class that is built from it. Where classes disagree ({@code timestep_spacing},
 * {@code clip_sample}, {@code set_alpha_to_one}, {@code variance_type}) the default is null and each scheduler
 * resolves it with its own ({@link #timestepSpacingOr} etc.). {@link #explicit()} lists the fields the file set;
 * {@link #toJson()} writes those, fields changed from the default, and the unknown fields ({@link #extras()})
 * verbatim, so a saved config loads the same way in diffusers.
 *
 * <p>{@code eta} is not a diffusers field: it is DDIM's per-call {@code eta} (default 0), kept here so a config
 * fully describes sampling; it is written only when set.
 *
 * @param className {@code _class_name}, null when absent
 * @param trainedBetas explicit betas, or null to derive them from the schedule (the accessor returns a copy)
 * @param timestepSpacing null when absent: see {@link #timestepSpacingOr}
 * @param clipSample null when absent: see {@link #clipSampleOr}
 * @param setAlphaToOne null when absent: see {@link #setAlphaToOneOr}
 * @param varianceType null when absent: see {@link #varianceTypeOr}
 * @param explicit the fields the file set (even to null), in diffusers' spelling
 * @param extras fields bkd does not know, kept verbatim for the round trip (the accessor returns a copy)
 */
public record SchedulerConfig(
        String className, int numTrainTimesteps, double betaStart, double betaEnd, String betaSchedule,
        double[] trainedBetas, String predictionType, String timestepSpacing, int stepsOffset, Boolean clipSample,
        double clipSampleRange, Boolean setAlphaToOne, boolean skipPrkSteps, String varianceType,
        boolean useKarrasSigmas, boolean useExponentialSigmas, Double sigmaMin, Double sigmaMax,
        String interpolationType, String timestepType, String finalSigmasType, String algorithmType, int solverOrder,
        String solverType, boolean lowerOrderFinal, boolean eulerAtFinal, double lambdaMinClipped, double eta,
        Set<String> explicit, ObjectNode extras) {

    public static final String FILE_NAME = "scheduler_config.json";

    private static final Field.Check POSITIVE_OR_NULL = Field.require((Double v) -> v > 0 && !v.isInfinite(),
            "must be a positive number or null");

    /**
     * The fields, in the order diffusers writes them, each checked as it is read (a check sees the fields above
     * it). A null default leaves the value to each scheduler class; the last rows have no accessor: bkd supports
     * only their diffusers default, anything else would change the math.
     */
    private static final FieldTable<SchedulerConfig> FIELDS = new FieldTable<>(SchedulerConfig.class,
            Field.integer("num_train_timesteps", 1000).must(Field.require((Integer v) -> v >= 2, "must be at least 2")),
            Field.real("beta_start", 0.0001),
            Field.real("beta_end", 0.02),
            Field.oneOf("beta_schedule", "linear", "linear", "scaled_linear", "squaredcos_cap_v2"),
            Field.of("trained_betas", SchedulerConfig::readTrainedBetas).must((r, k, v, b) -> {
                if (v == null && !"squaredcos_cap_v2".equals(b.get("beta_schedule"))) {
                    for (String beta : List.of("beta_start", "beta_end")) {
                        double x = (double) b.get(beta);
                        if (!(x > 0 && x < 1)) {
                            throw r.error(beta, "must be in (0, 1), found " + x);
                        }
                    }
                }
            }),
            Field.oneOf("prediction_type", "epsilon", "epsilon", "v_prediction", "sample"),
            Field.oneOf("timestep_spacing", null, "leading", "linspace", "trailing", null),
            Field.integer("steps_offset", 0).must((r, k, v, b) -> {
                if ((int) v < 0 || (int) v >= (int) b.get("num_train_timesteps")) {
                    throw r.error(k, "must be in [0, num_train_timesteps), found " + v);
                }
            }),
            optionalBool("clip_sample"),
            Field.real("clip_sample_range", 1.0).must(Field.require((Double v) -> v > 0, "must be positive")),
            optionalBool("set_alpha_to_one"),
            Field.bool("skip_prk_steps", false),
            Field.oneOf("variance_type", null, "fixed_small", "fixed_small_log", "fixed_large", null),
            Field.bool("use_karras_sigmas", false),
            Field.bool("use_exponential_sigmas", false).must((r, k, v, b) -> {
                if ((boolean) v && (boolean) b.get("use_karras_sigmas")) {
                    throw r.error(k, "cannot be true together with `use_karras_sigmas`");
                }
            }),
            Field.optionalReal("sigma_min").must(POSITIVE_OR_NULL),
            Field.optionalReal("sigma_max").must(POSITIVE_OR_NULL),
            Field.oneOf("interpolation_type", "linear", "linear", "log_linear"),
            Field.oneOf("timestep_type", "discrete", "discrete"),
            Field.oneOf("final_sigmas_type", "zero", "zero", "sigma_min"),
            Field.oneOf("algorithm_type", "dpmsolver++", "dpmsolver++", "dpmsolver", "sde-dpmsolver++", "sde-dpmsolver"),
            Field.integer("solver_order", 2).must(Field.require((Integer v) -> v >= 1 && v <= 3, "must be 1, 2 or 3")),
            Field.oneOf("solver_type", "midpoint", "midpoint", "heun"),
            Field.bool("lower_order_final", true),
            Field.bool("euler_at_final", false),
            Field.real("lambda_min_clipped", Double.NEGATIVE_INFINITY).must(Field.require(
                    (Double v) -> !v.isNaN() && v != Double.POSITIVE_INFINITY, "must be a finite number or -Infinity")),
            Field.real("eta", 0.0).must(Field.require((Double v) -> v >= 0 && !v.isInfinite(),
                    "must be a finite number >= 0")),
            onlyFalse("thresholding"),
            onlyFalse("rescale_betas_zero_snr"),
            onlyFalse("use_beta_sigmas"),
            onlyFalse("use_lu_lambdas"),
            onlyFalse("use_flow_sigmas"),
            onlyFalse("use_dynamic_shifting"));

    /** Every field's default by key (what an empty file holds). */
    private static final Map<String, Object> DEFAULTS =
            FIELDS.read(new ConfigReader(FILE_NAME, ConfigReader.MAPPER.createObjectNode()), false);

    /**
     * Not written when holding the default even if the file set it: diffusers writes {@code lambda_min_clipped}'s
     * -inf as a bare {@code -Infinity}, which strict JSON cannot hold.
     */
    private static final Set<String> OMIT_DEFAULT = Set.of("lambda_min_clipped");

    public SchedulerConfig {
        trainedBetas = trainedBetas == null ? null : trainedBetas.clone();
        explicit = Collections.unmodifiableSet(new TreeSet<>(explicit));
        extras = extras.deepCopy();
    }

    @Override
    public double[] trainedBetas() {
        return trainedBetas == null ? null : trainedBetas.clone();
    }

    @Override
    public ObjectNode extras() {
        return extras.deepCopy();
    }

    /** A flag that may be absent (the scheduler class decides), else true or false. */
    private static Field optionalBool(String key) {
        return Field.of(key, (r, k, b) -> r.has(k) ? r.getBool(k, false) : null);
    }

    /** A diffusers flag bkd implements only as false (null means the default, false). */
    private static Field onlyFalse(String key) {
        return Field.of(key, (r, k, b) -> {
            r.requireOneOf(k, false, null);
            return r.getBool(k, false);
        });
    }

    // ---- reading ----

    /** diffusers' defaults with nothing set (what an empty {@code {}} file means). */
    public static SchedulerConfig defaults() {
        return parse("scheduler_config.json", "{}");
    }

    /** Reads a scheduler config file; diffusers' {@code -Infinity} (for {@code lambda_min_clipped}) is accepted. */
    public static SchedulerConfig read(Path file) {
        return from(ConfigReader.read(file, true));
    }

    /** Parses JSON text; {@code label} names the source in error messages. */
    public static SchedulerConfig parse(String label, String json) {
        return from(ConfigReader.parse(label, json, true));
    }

    /** Builds the config from a reader, row by row: supported values, then type and default, then the check. */
    public static SchedulerConfig from(ConfigReader r) {
        Set<String> explicit = new TreeSet<>();
        for (Field f : FIELDS.rows()) {
            if (r.raw(f.key()) != null) { // present, even as null
                explicit.add(f.key());
            }
        }
        Map<String, Object> values = FIELDS.read(r, false);
        values.put("class_name", r.getString("_class_name", null));
        values.put("explicit", explicit);
        values.put("extras", r.extras());
        return FIELDS.build(values);
    }

    private static double[] readTrainedBetas(ConfigReader r, String key, Map<String, Object> before) {
        int n = (int) before.get("num_train_timesteps");
        JsonNode v = r.raw(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw r.error(key, "must be a list of numbers or null, found " + v.getNodeType().toString().toLowerCase());
        }
        if (v.size() != n) {
            throw r.error(key, "has " + v.size() + " entries but `num_train_timesteps` is " + n);
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber() || !(e.asDouble() >= 0 && e.asDouble() < 1)) {
                throw r.error(key, "entry " + i + " must be a number in [0, 1), found " + e);
            }
            out[i] = e.asDouble();
        }
        return out;
    }

    // ---- class-dependent defaults ----

    /** {@code timestep_spacing}, or the building class's default when the file left it out. */
    public String timestepSpacingOr(String classDefault) {
        return timestepSpacing() != null ? timestepSpacing() : classDefault;
    }

    /** {@code clip_sample}, or the building class's default when the file left it out. */
    public boolean clipSampleOr(boolean classDefault) {
        return clipSample() != null ? clipSample() : classDefault;
    }

    /** {@code set_alpha_to_one}, or the building class's default when the file left it out. */
    public boolean setAlphaToOneOr(boolean classDefault) {
        return setAlphaToOne() != null ? setAlphaToOne() : classDefault;
    }

    /** {@code variance_type}, or the building class's default when the file left it out. */
    public String varianceTypeOr(String classDefault) {
        return varianceType() != null ? varianceType() : classDefault;
    }

    // ---- derived copies ----

    /** The same config labelled for another diffusers class (what {@code Cls.from_config(cfg)} saves). */
    public SchedulerConfig withClassName(String name) {
        return with("_class_name", name);
    }

    /**
     * A copy with one field set, given in diffusers' spelling (e.g. {@code with("use_karras_sigmas", true)});
     * validated like a file. {@code null} removes the field (back to the class default).
     */
    public SchedulerConfig with(String field, Object value) {
        ObjectNode json = toJson();
        if (value == null) {
            json.remove(field);
        } else {
            json.set(field, ConfigReader.MAPPER.valueToTree(value));
        }
        return from(new ConfigReader(FILE_NAME, json));
    }

    // ---- saving ----

    /** A field's value ({@link #DEFAULTS} for the rows without an accessor: they hold nothing else). */
    private Object value(String key) {
        return FIELDS.stored(key) ? FIELDS.get(this, key) : DEFAULTS.get(key);
    }

    /** The fields the file set or that differ from the default, in diffusers' order, then the unknown fields. */
    public ObjectNode toJson() {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        if (className != null) {
            o.put("_class_name", className);
        }
        for (Field f : FIELDS.rows()) {
            Object v = value(f.key());
            boolean isDefault = Objects.deepEquals(v, DEFAULTS.get(f.key()));
            if (!isDefault || (explicit.contains(f.key()) && !OMIT_DEFAULT.contains(f.key()))) {
                o.set(f.key(), f.writer().apply(v));
            }
        }
        o.setAll(extras);
        return o;
    }

    /** Writes {@link #toJson()} to {@code file} (atomically, see {@link ConfigWriter#save}). */
    public void write(Path file) {
        ConfigWriter.save(file, ConfigWriter.text(toJson()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SchedulerConfig c && Objects.equals(className, c.className) && explicit.equals(c.explicit)
                && extras.equals(c.extras)
                && FIELDS.rows().stream().allMatch(f -> Objects.deepEquals(value(f.key()), c.value(f.key())));
    }

    @Override
    public int hashCode() {
        return Objects.hash(className, explicit, extras, numTrainTimesteps, betaStart, betaSchedule, predictionType,
                Arrays.hashCode(trainedBetas));
    }

    @Override
    public String toString() {
        return "SchedulerConfig" + toJson();
    }
}
