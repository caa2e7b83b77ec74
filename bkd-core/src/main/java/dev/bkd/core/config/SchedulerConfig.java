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
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code scheduler/scheduler_config.json}: the union of the fields of the diffusers schedulers bkd implements
 * (PNDM, DDIM, DDPM, Euler, Euler ancestral, DPM-Solver multistep, LMS), with diffusers' class defaults.
 *
 * <p>Like diffusers' {@code from_config}, a field absent from the file takes the default of the class that is
 * built from it. Where classes disagree ({@code timestep_spacing}, {@code clip_sample}, {@code set_alpha_to_one},
 * {@code variance_type}) the component is null when absent and each scheduler resolves it with its own default.
 * {@link #explicit()} lists the fields the file set; {@link #toJson()} writes those, fields changed from the
 * default, and the unknown fields ({@link #extras()}) verbatim, so a saved config loads the same way in diffusers.
 *
 * <p>{@code eta} is not a diffusers field: it is DDIM's per-call {@code eta} (default 0), kept here so a config
 * fully describes sampling; it is written only when set.
 */
public record SchedulerConfig(
        String className,
        int numTrainTimesteps,
        double betaStart,
        double betaEnd,
        String betaSchedule,
        double[] trainedBetas,
        String predictionType,
        String timestepSpacing,
        int stepsOffset,
        Boolean clipSample,
        double clipSampleRange,
        Boolean setAlphaToOne,
        boolean skipPrkSteps,
        String varianceType,
        boolean useKarrasSigmas,
        boolean useExponentialSigmas,
        Double sigmaMin,
        Double sigmaMax,
        String interpolationType,
        String timestepType,
        String finalSigmasType,
        String algorithmType,
        int solverOrder,
        String solverType,
        boolean lowerOrderFinal,
        boolean eulerAtFinal,
        double lambdaMinClipped,
        double eta,
        Set<String> explicit,
        ObjectNode extras) {

    public static final String FILE_NAME = "scheduler_config.json";

    /** Fields whose only supported value is the diffusers default (they would change the math). */
    private static final String[] MUST_BE_FALSE = {
        "thresholding", "rescale_betas_zero_snr", "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas",
        "use_dynamic_shifting"
    };

    private static final ObjectMapper LENIENT = ConfigReader.MAPPER.copy()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());

    public SchedulerConfig {
        explicit = Collections.unmodifiableSet(explicit == null ? new TreeSet<>() : new TreeSet<>(explicit));
        extras = extras == null ? ConfigReader.MAPPER.createObjectNode() : extras.deepCopy();
        trainedBetas = trainedBetas == null ? null : trainedBetas.clone();
    }

    @Override
    public double[] trainedBetas() {
        return trainedBetas == null ? null : trainedBetas.clone();
    }

    @Override
    public ObjectNode extras() {
        return extras.deepCopy();
    }

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

    /** Builds the record from a reader, validating every field that changes the math. */
    public static SchedulerConfig from(ConfigReader r) {
        Set<String> explicit = new LinkedHashSet<>();
        for (String f : FIELDS) {
            if (r.raw(f) != null) { // present, even as null
                explicit.add(f);
            }
        }
        for (String f : MUST_BE_FALSE) {
            r.requireOneOf(f, false, null);
        }
        r.requireOneOf("beta_schedule", "linear", "scaled_linear", "squaredcos_cap_v2");
        r.requireOneOf("prediction_type", "epsilon", "v_prediction", "sample");
        r.requireOneOf("timestep_spacing", "leading", "linspace", "trailing", null);
        r.requireOneOf("variance_type", "fixed_small", "fixed_small_log", "fixed_large", null);
        r.requireOneOf("interpolation_type", "linear", "log_linear");
        r.requireOneOf("timestep_type", "discrete");
        r.requireOneOf("final_sigmas_type", "zero", "sigma_min");
        r.requireOneOf("algorithm_type", "dpmsolver++", "dpmsolver", "sde-dpmsolver++", "sde-dpmsolver");
        r.requireOneOf("solver_type", "midpoint", "heun");

        int n = r.getInt("num_train_timesteps", 1000);
        if (n < 2) {
            throw r.error("num_train_timesteps", "must be at least 2, found " + n);
        }
        String schedule = r.getString("beta_schedule", "linear");
        double betaStart = r.getDouble("beta_start", 0.0001);
        double betaEnd = r.getDouble("beta_end", 0.02);
        double[] trained = trainedBetas(r, n);
        if (trained == null && !schedule.equals("squaredcos_cap_v2")) {
            requireBeta(r, "beta_start", betaStart);
            requireBeta(r, "beta_end", betaEnd);
        }
        int offset = r.getInt("steps_offset", 0);
        if (offset < 0 || offset >= n) {
            throw r.error("steps_offset", "must be in [0, num_train_timesteps), found " + offset);
        }
        double clipRange = r.getDouble("clip_sample_range", 1.0);
        if (!(clipRange > 0)) {
            throw r.error("clip_sample_range", "must be positive, found " + clipRange);
        }
        int order = r.getInt("solver_order", 2);
        if (order < 1 || order > 3) {
            throw r.error("solver_order", "must be 1, 2 or 3, found " + order);
        }
        Double sigmaMin = positiveOrNull(r, "sigma_min");
        Double sigmaMax = positiveOrNull(r, "sigma_max");
        double lambdaMin = r.getDouble("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        if (Double.isNaN(lambdaMin) || lambdaMin == Double.POSITIVE_INFINITY) {
            throw r.error("lambda_min_clipped", "must be a finite number or -Infinity, found " + lambdaMin);
        }
        double eta = r.getDouble("eta", 0.0);
        if (!(eta >= 0) || Double.isInfinite(eta)) {
            throw r.error("eta", "must be a finite number >= 0, found " + eta);
        }
        if (r.getBool("use_karras_sigmas", false) && r.getBool("use_exponential_sigmas", false)) {
            throw r.error("use_exponential_sigmas", "cannot be true together with `use_karras_sigmas`");
        }
        return new SchedulerConfig(
                r.getString("_class_name", null),
                n,
                betaStart,
                betaEnd,
                schedule,
                trained,
                r.getString("prediction_type", "epsilon"),
                r.getString("timestep_spacing", null),
                offset,
                r.has("clip_sample") ? r.getBool("clip_sample", false) : null,
                clipRange,
                r.has("set_alpha_to_one") ? r.getBool("set_alpha_to_one", false) : null,
                r.getBool("skip_prk_steps", false),
                r.getString("variance_type", null),
                r.getBool("use_karras_sigmas", false),
                r.getBool("use_exponential_sigmas", false),
                sigmaMin,
                sigmaMax,
                r.getString("interpolation_type", "linear"),
                r.getString("timestep_type", "discrete"),
                r.getString("final_sigmas_type", "zero"),
                r.getString("algorithm_type", "dpmsolver++"),
                order,
                r.getString("solver_type", "midpoint"),
                r.getBool("lower_order_final", true),
                r.getBool("euler_at_final", false),
                lambdaMin,
                eta,
                explicit,
                r.extras());
    }

    private static void requireBeta(ConfigReader r, String field, double v) {
        if (!(v > 0 && v < 1)) {
            throw r.error(field, "must be in (0, 1), found " + v);
        }
    }

    private static Double positiveOrNull(ConfigReader r, String field) {
        if (!r.has(field)) {
            return null;
        }
        double v = r.getDouble(field, 0);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw r.error(field, "must be a positive number or null, found " + v);
        }
        return v;
    }

    private static double[] trainedBetas(ConfigReader r, int n) {
        JsonNode v = r.raw("trained_betas");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw r.error("trained_betas", "must be a list of numbers or null, found " + v.getNodeType().toString().toLowerCase());
        }
        if (v.size() != n) {
            throw r.error("trained_betas", "has " + v.size() + " entries but `num_train_timesteps` is " + n);
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber() || !(e.asDouble() >= 0 && e.asDouble() < 1)) {
                throw r.error("trained_betas", "entry " + i + " must be a number in [0, 1), found " + e);
            }
            out[i] = e.asDouble();
        }
        return out;
    }

    /** JSON field names this record models, in diffusers' spelling. */
    private static final String[] FIELDS = {
        "num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas", "prediction_type",
        "timestep_spacing", "steps_offset", "clip_sample", "clip_sample_range", "set_alpha_to_one", "skip_prk_steps",
        "variance_type", "use_karras_sigmas", "use_exponential_sigmas", "sigma_min", "sigma_max",
        "interpolation_type", "timestep_type", "final_sigmas_type", "algorithm_type", "solver_order", "solver_type",
        "lower_order_final", "euler_at_final", "lambda_min_clipped", "eta",
        "thresholding", "rescale_betas_zero_snr", "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas",
        "use_dynamic_shifting"
    };

    // ---- class-dependent defaults ----

    public String timestepSpacingOr(String classDefault) {
        return timestepSpacing != null ? timestepSpacing : classDefault;
    }

    public boolean clipSampleOr(boolean classDefault) {
        return clipSample != null ? clipSample : classDefault;
    }

    public boolean setAlphaToOneOr(boolean classDefault) {
        return setAlphaToOne != null ? setAlphaToOne : classDefault;
    }

    public String varianceTypeOr(String classDefault) {
        return varianceType != null ? varianceType : classDefault;
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

    /** The JSON diffusers can load: explicit fields, non-default fields, then unknown fields verbatim. */
    public ObjectNode toJson() {
        SchedulerConfig d = DEFAULTS;
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        if (className != null) {
            o.put("_class_name", className);
        }
        putIf(o, "num_train_timesteps", numTrainTimesteps != d.numTrainTimesteps, numTrainTimesteps);
        putIf(o, "beta_start", betaStart != d.betaStart, betaStart);
        putIf(o, "beta_end", betaEnd != d.betaEnd, betaEnd);
        putIf(o, "beta_schedule", !betaSchedule.equals(d.betaSchedule), betaSchedule);
        if (explicit.contains("trained_betas") || trainedBetas != null) {
            if (trainedBetas == null) {
                o.putNull("trained_betas");
            } else {
                ArrayNode a = o.putArray("trained_betas");
                for (double b : trainedBetas) {
                    a.add(b);
                }
            }
        }
        putIf(o, "prediction_type", !predictionType.equals(d.predictionType), predictionType);
        putIf(o, "timestep_spacing", timestepSpacing != null, timestepSpacing);
        putIf(o, "steps_offset", stepsOffset != d.stepsOffset, stepsOffset);
        putIf(o, "clip_sample", clipSample != null, clipSample);
        putIf(o, "clip_sample_range", clipSampleRange != d.clipSampleRange, clipSampleRange);
        putIf(o, "set_alpha_to_one", setAlphaToOne != null, setAlphaToOne);
        putIf(o, "skip_prk_steps", skipPrkSteps != d.skipPrkSteps, skipPrkSteps);
        putIf(o, "variance_type", varianceType != null, varianceType);
        putIf(o, "use_karras_sigmas", useKarrasSigmas != d.useKarrasSigmas, useKarrasSigmas);
        putIf(o, "use_exponential_sigmas", useExponentialSigmas != d.useExponentialSigmas, useExponentialSigmas);
        putIf(o, "sigma_min", sigmaMin != null, sigmaMin);
        putIf(o, "sigma_max", sigmaMax != null, sigmaMax);
        putIf(o, "interpolation_type", !interpolationType.equals(d.interpolationType), interpolationType);
        putIf(o, "timestep_type", !timestepType.equals(d.timestepType), timestepType);
        putIf(o, "final_sigmas_type", !finalSigmasType.equals(d.finalSigmasType), finalSigmasType);
        putIf(o, "algorithm_type", !algorithmType.equals(d.algorithmType), algorithmType);
        putIf(o, "solver_order", solverOrder != d.solverOrder, solverOrder);
        putIf(o, "solver_type", !solverType.equals(d.solverType), solverType);
        putIf(o, "lower_order_final", lowerOrderFinal != d.lowerOrderFinal, lowerOrderFinal);
        putIf(o, "euler_at_final", eulerAtFinal != d.eulerAtFinal, eulerAtFinal);
        // diffusers writes -inf as the bare token -Infinity, which strict JSON (and Jackson) cannot: omit the default
        if (lambdaMinClipped != Double.NEGATIVE_INFINITY) {
            o.put("lambda_min_clipped", lambdaMinClipped);
        }
        putIf(o, "eta", eta != d.eta, eta);
        for (String f : MUST_BE_FALSE) {
            putIf(o, f, false, false);
        }
        o.setAll(extras);
        return o;
    }

    private void putIf(ObjectNode o, String field, boolean changed, Object value) {
        if (changed || explicit.contains(field)) {
            if (value == null) {
                o.putNull(field);
            } else {
                o.set(field, ConfigReader.MAPPER.valueToTree(value));
            }
        }
    }

    /** Writes {@link #toJson()} to {@code file} (normally {@code scheduler/scheduler_config.json}). */
    public void write(Path file) {
        String text;
        try {
            text = ConfigReader.MAPPER.writeValueAsString(toJson()) + "\n";
        } catch (JsonProcessingException e) {
            throw new ConfigException(ConfigReader.label(file) + ": cannot encode config: " + e.getOriginalMessage(), e);
        }
        ConfigWriter.save(file, text);
    }

    private static final SchedulerConfig DEFAULTS = defaults();

    @Override
    public boolean equals(Object o) {
        return o instanceof SchedulerConfig c && toJson().equals(c.toJson()) && explicit.equals(c.explicit);
    }

    @Override
    public int hashCode() {
        return Objects.hash(toJson(), explicit);
    }

    @Override
    public String toString() {
        return "SchedulerConfig" + toJson();
    }
}
