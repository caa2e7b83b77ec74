package dev.bkd.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code scheduler/scheduler_config.json}: the union of the fields of the diffusers schedulers bkd implements
 * (PNDM, DDIM, DDPM, Euler, Euler ancestral, DPM-Solver multistep, LMS), with diffusers' class defaults.
 *
 * <p>Every field is one row of {@link #TABLE} (key, type, default, supported values, check); reading, validation,
 * saving and equality all go through it. Like diffusers' {@code from_config}, a field absent from the file takes
 * the default of the class that is built from it. Where classes disagree ({@code timestep_spacing},
 * {@code clip_sample}, {@code set_alpha_to_one}, {@code variance_type}) the default is null and each scheduler
 * resolves it with its own ({@link #timestepSpacingOr} etc.). {@link #explicit()} lists the fields the file set;
 * {@link #toJson()} writes those, fields changed from the default, and the unknown fields ({@link #extras()})
 * verbatim, so a saved config loads the same way in diffusers.
 *
 * <p>{@code eta} is not a diffusers field: it is DDIM's per-call {@code eta} (default 0), kept here so a config
 * fully describes sampling; it is written only when set.
 */
public final class SchedulerConfig {
    public static final String FILE_NAME = "scheduler_config.json";

    private enum Type { INT, DOUBLE, STRING, BOOL, DOUBLES }

    /** Checks one field's value (null when absent and defaulting to null) against the fields read before it. */
    private interface Check {
        void check(ConfigReader r, String key, Object value, Map<String, Object> before);
    }

    /**
     * One field: JSON key, type, default (null: each scheduler class's own), the only values bkd supports (empty:
     * any of the type) and a check. {@code omitDefault}: not written when it holds the default even if the file
     * set it (diffusers writes {@code lambda_min_clipped}'s -inf as a bare {@code -Infinity}, which strict JSON
     * cannot hold).
     */
    private record Field(String key, Type type, Object def, List<Object> oneOf, Check check, boolean omitDefault) {}

    /** The fields, in the order diffusers writes them; a check sees the fields above it. */
    private static final List<Field> TABLE = List.of(
            field("num_train_timesteps", Type.INT, 1000, (r, k, v, b) -> {
                if ((int) v < 2) {
                    throw r.error(k, "must be at least 2, found " + v);
                }
            }),
            field("beta_start", Type.DOUBLE, 0.0001, null),
            field("beta_end", Type.DOUBLE, 0.02, null),
            field("beta_schedule", Type.STRING, "linear", null, "linear", "scaled_linear", "squaredcos_cap_v2"),
            field("trained_betas", Type.DOUBLES, null, (r, k, v, b) -> {
                if (v == null && !"squaredcos_cap_v2".equals(b.get("beta_schedule"))) {
                    for (String beta : List.of("beta_start", "beta_end")) {
                        double x = (double) b.get(beta);
                        if (!(x > 0 && x < 1)) {
                            throw r.error(beta, "must be in (0, 1), found " + x);
                        }
                    }
                }
            }),
            field("prediction_type", Type.STRING, "epsilon", null, "epsilon", "v_prediction", "sample"),
            field("timestep_spacing", Type.STRING, null, null, "leading", "linspace", "trailing", null),
            field("steps_offset", Type.INT, 0, (r, k, v, b) -> {
                if ((int) v < 0 || (int) v >= (int) b.get("num_train_timesteps")) {
                    throw r.error(k, "must be in [0, num_train_timesteps), found " + v);
                }
            }),
            field("clip_sample", Type.BOOL, null, null),
            field("clip_sample_range", Type.DOUBLE, 1.0, (r, k, v, b) -> {
                if (!((double) v > 0)) {
                    throw r.error(k, "must be positive, found " + v);
                }
            }),
            field("set_alpha_to_one", Type.BOOL, null, null),
            field("skip_prk_steps", Type.BOOL, false, null),
            field("variance_type", Type.STRING, null, null, "fixed_small", "fixed_small_log", "fixed_large", null),
            field("use_karras_sigmas", Type.BOOL, false, null),
            field("use_exponential_sigmas", Type.BOOL, false, (r, k, v, b) -> {
                if ((boolean) v && (boolean) b.get("use_karras_sigmas")) {
                    throw r.error(k, "cannot be true together with `use_karras_sigmas`");
                }
            }),
            field("sigma_min", Type.DOUBLE, null, SchedulerConfig::positiveOrNull),
            field("sigma_max", Type.DOUBLE, null, SchedulerConfig::positiveOrNull),
            field("interpolation_type", Type.STRING, "linear", null, "linear", "log_linear"),
            field("timestep_type", Type.STRING, "discrete", null, "discrete"),
            field("final_sigmas_type", Type.STRING, "zero", null, "zero", "sigma_min"),
            field("algorithm_type", Type.STRING, "dpmsolver++", null,
                    "dpmsolver++", "dpmsolver", "sde-dpmsolver++", "sde-dpmsolver"),
            field("solver_order", Type.INT, 2, (r, k, v, b) -> {
                if ((int) v < 1 || (int) v > 3) {
                    throw r.error(k, "must be 1, 2 or 3, found " + v);
                }
            }),
            field("solver_type", Type.STRING, "midpoint", null, "midpoint", "heun"),
            field("lower_order_final", Type.BOOL, true, null),
            field("euler_at_final", Type.BOOL, false, null),
            new Field("lambda_min_clipped", Type.DOUBLE, Double.NEGATIVE_INFINITY, List.of(), (r, k, v, b) -> {
                if (Double.isNaN((double) v) || (double) v == Double.POSITIVE_INFINITY) {
                    throw r.error(k, "must be a finite number or -Infinity, found " + v);
                }
            }, true),
            field("eta", Type.DOUBLE, 0.0, (r, k, v, b) -> {
                if (!((double) v >= 0) || Double.isInfinite((double) v)) {
                    throw r.error(k, "must be a finite number >= 0, found " + v);
                }
            }),
            // only the diffusers default is supported: anything else would change the math
            field("thresholding", Type.BOOL, false, null, false, null),
            field("rescale_betas_zero_snr", Type.BOOL, false, null, false, null),
            field("use_beta_sigmas", Type.BOOL, false, null, false, null),
            field("use_lu_lambdas", Type.BOOL, false, null, false, null),
            field("use_flow_sigmas", Type.BOOL, false, null, false, null),
            field("use_dynamic_shifting", Type.BOOL, false, null, false, null));

    private static final ObjectMapper LENIENT = ConfigReader.MAPPER.copy()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());

    private final String className;
    /** Every table field's value by key (trained_betas as a double[]). */
    private final Map<String, Object> values;
    private final Set<String> explicit;
    private final ObjectNode extras;

    private SchedulerConfig(String className, Map<String, Object> values, Set<String> explicit, ObjectNode extras) {
        this.className = className;
        this.values = Collections.unmodifiableMap(values);
        this.explicit = Collections.unmodifiableSet(new TreeSet<>(explicit));
        this.extras = extras.deepCopy();
    }

    private static Field field(String key, Type type, Object def, Check check, Object... oneOf) {
        return new Field(key, type, def, Arrays.asList(oneOf), check, false);
    }

    // ---- accessors (diffusers' field names in camel case) ----

    public String className() {
        return className;
    }

    public int numTrainTimesteps() {
        return (int) values.get("num_train_timesteps");
    }

    public double betaStart() {
        return (double) values.get("beta_start");
    }

    public double betaEnd() {
        return (double) values.get("beta_end");
    }

    public String betaSchedule() {
        return (String) values.get("beta_schedule");
    }

    /** Explicit betas (a copy), or null to derive them from the schedule. */
    public double[] trainedBetas() {
        double[] b = (double[]) values.get("trained_betas");
        return b == null ? null : b.clone();
    }

    public String predictionType() {
        return (String) values.get("prediction_type");
    }

    /** Null when absent: see {@link #timestepSpacingOr}. */
    public String timestepSpacing() {
        return (String) values.get("timestep_spacing");
    }

    public int stepsOffset() {
        return (int) values.get("steps_offset");
    }

    /** Null when absent: see {@link #clipSampleOr}. */
    public Boolean clipSample() {
        return (Boolean) values.get("clip_sample");
    }

    public double clipSampleRange() {
        return (double) values.get("clip_sample_range");
    }

    /** Null when absent: see {@link #setAlphaToOneOr}. */
    public Boolean setAlphaToOne() {
        return (Boolean) values.get("set_alpha_to_one");
    }

    public boolean skipPrkSteps() {
        return (boolean) values.get("skip_prk_steps");
    }

    /** Null when absent: see {@link #varianceTypeOr}. */
    public String varianceType() {
        return (String) values.get("variance_type");
    }

    public boolean useKarrasSigmas() {
        return (boolean) values.get("use_karras_sigmas");
    }

    public boolean useExponentialSigmas() {
        return (boolean) values.get("use_exponential_sigmas");
    }

    public Double sigmaMin() {
        return (Double) values.get("sigma_min");
    }

    public Double sigmaMax() {
        return (Double) values.get("sigma_max");
    }

    public String interpolationType() {
        return (String) values.get("interpolation_type");
    }

    public String timestepType() {
        return (String) values.get("timestep_type");
    }

    public String finalSigmasType() {
        return (String) values.get("final_sigmas_type");
    }

    public String algorithmType() {
        return (String) values.get("algorithm_type");
    }

    public int solverOrder() {
        return (int) values.get("solver_order");
    }

    public String solverType() {
        return (String) values.get("solver_type");
    }

    public boolean lowerOrderFinal() {
        return (boolean) values.get("lower_order_final");
    }

    public boolean eulerAtFinal() {
        return (boolean) values.get("euler_at_final");
    }

    public double lambdaMinClipped() {
        return (double) values.get("lambda_min_clipped");
    }

    public double eta() {
        return (double) values.get("eta");
    }

    /** The fields the file set (even to null), in diffusers' spelling. */
    public Set<String> explicit() {
        return explicit;
    }

    /** Fields bkd does not know, kept verbatim for the round trip (a copy). */
    public ObjectNode extras() {
        return extras.deepCopy();
    }

    // ---- reading ----

    /** diffusers' defaults with nothing set (what an empty {@code {}} file means). */
    public static SchedulerConfig defaults() {
        return parse("scheduler_config.json", "{}");
    }

    /** Reads a scheduler config file; diffusers' {@code -Infinity} (for {@code lambda_min_clipped}) is accepted. */
    public static SchedulerConfig read(Path file) {
        ConfigReader r;
        try {
            r = ConfigReader.read(file);
        } catch (ConfigException strict) {
            r = lenient(ConfigReader.label(file), () -> Files.readString(file), strict);
        }
        return from(r);
    }

    /** Parses JSON text; {@code label} names the source in error messages. */
    public static SchedulerConfig parse(String label, String json) {
        ConfigReader r;
        try {
            r = ConfigReader.parse(label, json);
        } catch (ConfigException strict) {
            r = lenient(label, () -> json, strict);
        }
        return from(r);
    }

    private interface Text {
        String get() throws IOException;
    }

    /** Retries with non-numeric numbers allowed; any other problem keeps the strict reader's message. */
    private static ConfigReader lenient(String label, Text text, ConfigException strict) {
        try {
            JsonNode n = LENIENT.readTree(text.get());
            if (n instanceof ObjectNode o) {
                return new ConfigReader(label, o);
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the strict error already says what is wrong and where
        }
        throw strict;
    }

    /** Builds the config from a reader, row by row: supported values, then type and default, then the check. */
    public static SchedulerConfig from(ConfigReader r) {
        Set<String> explicit = new TreeSet<>();
        for (Field f : TABLE) {
            if (r.raw(f.key()) != null) { // present, even as null
                explicit.add(f.key());
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Field f : TABLE) {
            if (!f.oneOf().isEmpty()) {
                r.requireOneOf(f.key(), f.oneOf().toArray());
            }
            Object v = read(r, f, values);
            if (f.check() != null) {
                f.check().check(r, f.key(), v, values);
            }
            values.put(f.key(), v);
        }
        return new SchedulerConfig(r.getString("_class_name", null), values, explicit, r.extras());
    }

    private static Object read(ConfigReader r, Field f, Map<String, Object> before) {
        String k = f.key();
        if (f.def() == null && f.type() != Type.STRING && f.type() != Type.DOUBLES && !r.has(k)) {
            return null; // a nullable number or flag left to the scheduler class
        }
        return switch (f.type()) {
            case INT -> r.getInt(k, f.def() == null ? 0 : (int) f.def());
            case DOUBLE -> r.getDouble(k, f.def() == null ? 0 : (double) f.def());
            case BOOL -> r.getBool(k, f.def() != null && (boolean) f.def());
            case STRING -> r.getString(k, (String) f.def());
            case DOUBLES -> trainedBetas(r, k, (int) before.get("num_train_timesteps"));
        };
    }

    private static void positiveOrNull(ConfigReader r, String key, Object v, Map<String, Object> before) {
        if (v != null && (!((double) v > 0) || Double.isInfinite((double) v))) {
            throw r.error(key, "must be a positive number or null, found " + v);
        }
    }

    private static double[] trainedBetas(ConfigReader r, String key, int n) {
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
        ObjectNode json = toJson();
        json.put("_class_name", name);
        return reparse(json);
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
        return reparse(json);
    }

    private static SchedulerConfig reparse(ObjectNode json) {
        return from(new ConfigReader(FILE_NAME, json));
    }

    // ---- saving ----

    /** The fields the file set or that differ from the default, in diffusers' order, then the unknown fields. */
    public ObjectNode toJson() {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        if (className != null) {
            o.put("_class_name", className);
        }
        for (Field f : TABLE) {
            Object v = values.get(f.key());
            boolean isDefault = f.type() == Type.DOUBLES ? v == null : Objects.equals(v, f.def());
            if (isDefault && (f.omitDefault() || !explicit.contains(f.key()))) {
                continue;
            }
            if (v == null) {
                o.putNull(f.key());
            } else if (v instanceof double[] a) {
                ArrayNode arr = o.putArray(f.key());
                for (double x : a) {
                    arr.add(x);
                }
            } else {
                o.set(f.key(), ConfigReader.MAPPER.valueToTree(v));
            }
        }
        o.setAll(extras);
        return o;
    }

    /** Writes {@link #toJson()} to {@code file} (atomically, see {@link ConfigWriter#save}). */
    public void write(Path file) {
        String text;
        try {
            text = ConfigReader.MAPPER.writeValueAsString(toJson()) + "\n";
        } catch (JsonProcessingException e) {
            throw new ConfigException(ConfigReader.label(file) + ": cannot encode config: " + e.getOriginalMessage(), e);
        }
        ConfigWriter.save(file, text);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SchedulerConfig c) || !Objects.equals(className, c.className)
                || !explicit.equals(c.explicit) || !extras.equals(c.extras)) {
            return false;
        }
        for (Field f : TABLE) {
            Object a = values.get(f.key());
            Object b = c.values.get(f.key());
            if (a instanceof double[] x ? !(b instanceof double[] y && Arrays.equals(x, y)) : !Objects.equals(a, b)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(className, explicit, extras, numTrainTimesteps(), betaStart(), betaSchedule(),
                predictionType(), Arrays.hashCode(trainedBetas()));
    }

    @Override
    public String toString() {
        return "SchedulerConfig" + toJson();
    }
}
