package dev.bkd.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerConfigTest {

    private static Path sdConfig() {
        return RefData.models().resolve("scheduler").resolve(SchedulerConfig.FILE_NAME);
    }

    @Test
    void readsStableDiffusionSchedulerConfig() {
        SchedulerConfig c = SchedulerConfig.read(sdConfig());
        assertEquals("PNDMScheduler", c.className());
        assertEquals(1000, c.numTrainTimesteps());
        assertEquals(0.00085, c.betaStart());
        assertEquals(0.012, c.betaEnd());
        assertEquals("scaled_linear", c.betaSchedule());
        assertNull(c.trainedBetas());
        assertEquals(Boolean.FALSE, c.clipSample());
        assertEquals(Boolean.FALSE, c.setAlphaToOne());
        assertEquals(1, c.stepsOffset());
        assertTrue(c.skipPrkSteps());
        assertEquals("epsilon", c.predictionType());
        // not in the file: null, so each scheduler class applies its own default (diffusers' from_config)
        assertNull(c.timestepSpacing());
        assertEquals("leading", c.timestepSpacingOr("leading"));
        assertEquals("linspace", c.timestepSpacingOr("linspace"));
        assertEquals("0.6.0", c.extras().get("_diffusers_version").asText());
    }

    @Test
    void defaultsAreDiffusersClassDefaults() {
        SchedulerConfig d = SchedulerConfig.defaults();
        assertEquals(1000, d.numTrainTimesteps());
        assertEquals(0.0001, d.betaStart());
        assertEquals(0.02, d.betaEnd());
        assertEquals("linear", d.betaSchedule());
        assertEquals("epsilon", d.predictionType());
        assertEquals(0, d.stepsOffset());
        assertEquals(1.0, d.clipSampleRange());
        assertFalse(d.skipPrkSteps());
        assertFalse(d.useKarrasSigmas());
        assertEquals("dpmsolver++", d.algorithmType());
        assertEquals(2, d.solverOrder());
        assertEquals("midpoint", d.solverType());
        assertTrue(d.lowerOrderFinal());
        assertEquals("zero", d.finalSigmasType());
        assertEquals(Double.NEGATIVE_INFINITY, d.lambdaMinClipped());
        assertEquals(0.0, d.eta());
        assertTrue(d.clipSampleOr(true)); // DDPM/DDIM default
        assertTrue(d.setAlphaToOneOr(true)); // DDIM default
        assertEquals("fixed_small", d.varianceTypeOr("fixed_small"));
        assertTrue(d.toJson().isEmpty());
    }

    /** The full configs diffusers 0.40 reports after loading (every init field + carried-over extras) parse. */
    @Test
    void acceptsEveryConfigDiffusersWrote() throws Exception {
        JsonNode all = ConfigReader.MAPPER.readTree(RefData.ref("sched_timesteps.json").toFile());
        for (String cls : new String[] {"ddpm", "pndm", "ddim", "euler"}) {
            ObjectNode json = (ObjectNode) all.get(cls).get("as_loaded_config");
            SchedulerConfig c = SchedulerConfig.from(new ConfigReader(cls + "/as_loaded_config", json));
            assertEquals(0.00085, c.betaStart());
            assertEquals(json.get("timestep_spacing").asText(), c.timestepSpacing());
            // every field survives a save: explicit ones as themselves, unknown ones verbatim
            ObjectNode out = c.toJson();
            Iterator<String> names = json.fieldNames();
            while (names.hasNext()) {
                String f = names.next();
                assertEquals(json.get(f), out.get(f), cls + ": field " + f);
            }
        }
    }

    @Test
    void saveWritesBackExplicitAndUnknownFields(@TempDir Path dir) throws Exception {
        SchedulerConfig c = SchedulerConfig.read(sdConfig());
        Path out = dir.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME);
        c.write(out);
        SchedulerConfig back = SchedulerConfig.read(out);
        assertEquals(c, back);
        JsonNode original = ConfigReader.MAPPER.readTree(sdConfig().toFile());
        JsonNode written = ConfigReader.MAPPER.readTree(out.toFile());
        assertEquals(names(original), names(written));
        for (String f : names(original)) {
            assertEquals(original.get(f), written.get(f), f);
        }
    }

    @Test
    void unknownFieldsAndMinusInfinityRoundTrip(@TempDir Path dir) throws Exception {
        Path f = dir.resolve(SchedulerConfig.FILE_NAME);
        Files.writeString(f, "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"lambda_min_clipped\": -Infinity,"
                + " \"solver_order\": 3, \"my_tool\": {\"x\": [1, 2]}}");
        SchedulerConfig c = SchedulerConfig.read(f);
        assertEquals(Double.NEGATIVE_INFINITY, c.lambdaMinClipped());
        assertEquals(3, c.solverOrder());
        ObjectNode json = c.toJson();
        assertEquals("{\"x\":[1,2]}", json.get("my_tool").toString());
        assertFalse(json.has("lambda_min_clipped"), "the -inf default is omitted (strict JSON cannot hold it)");
        c.write(f);
        assertEquals(c.toJson(), SchedulerConfig.read(f).toJson());
    }

    @Test
    void withChangesOneFieldAndRevalidates() {
        SchedulerConfig c = SchedulerConfig.read(sdConfig()).with("use_karras_sigmas", true).withClassName("X");
        assertTrue(c.useKarrasSigmas());
        assertEquals("X", c.className());
        assertEquals(1, c.stepsOffset());
        assertTrue(c.toJson().get("use_karras_sigmas").asBoolean());
        assertEquals("leading", c.with("timestep_spacing", "leading").timestepSpacing());
        assertNull(c.with("timestep_spacing", "leading").with("timestep_spacing", null).timestepSpacing());
        ConfigException e = assertThrows(ConfigException.class, () -> c.with("solver_order", 4));
        assertTrue(e.getMessage().contains("`solver_order` must be 1, 2 or 3"), e.getMessage());
    }

    @Test
    void unsupportedValuesAreRejectedNamingTheField() {
        expectError("{\"beta_schedule\": \"cosine\"}", "field `beta_schedule` = \"cosine\" is not supported");
        expectError("{\"thresholding\": true}", "field `thresholding` = true is not supported");
        expectError("{\"rescale_betas_zero_snr\": true}", "field `rescale_betas_zero_snr` = true");
        expectError("{\"timestep_spacing\": \"uniform\"}", "field `timestep_spacing` = \"uniform\"");
        expectError("{\"prediction_type\": \"flow\"}", "field `prediction_type` = \"flow\"");
        expectError("{\"variance_type\": \"learned_range\"}", "field `variance_type` = \"learned_range\"");
        expectError("{\"algorithm_type\": \"deis\"}", "field `algorithm_type` = \"deis\"");
        expectError("{\"timestep_type\": \"continuous\"}", "field `timestep_type` = \"continuous\"");
        expectError("{\"use_beta_sigmas\": true}", "field `use_beta_sigmas` = true");
        expectError("{\"num_train_timesteps\": \"1000\"}", "field `num_train_timesteps` must be an integer");
        expectError("{\"num_train_timesteps\": 1}", "field `num_train_timesteps` must be at least 2");
        expectError("{\"beta_end\": 1.5}", "field `beta_end` must be in (0, 1)");
        expectError("{\"steps_offset\": -1}", "field `steps_offset` must be in [0, num_train_timesteps)");
        expectError("{\"num_train_timesteps\": 3, \"trained_betas\": [0.1, 0.2]}",
                "field `trained_betas` has 2 entries but `num_train_timesteps` is 3");
        expectError("{\"num_train_timesteps\": 2, \"trained_betas\": [0.1, \"x\"]}",
                "field `trained_betas` entry 1 must be a number in [0, 1)");
        expectError("{\"lambda_min_clipped\": NaN}", "field `lambda_min_clipped` must be a finite number or -Infinity");
        expectError("{\"sigma_min\": -1}", "field `sigma_min` must be a positive number");
        expectError("{\"eta\": -0.5}", "field `eta` must be a finite number >= 0");
        expectError("{\"use_karras_sigmas\": true, \"use_exponential_sigmas\": true}",
                "field `use_exponential_sigmas` cannot be true together with `use_karras_sigmas`");
        expectError("[1, 2]", "expected a JSON object");
        expectError("{\"beta_start\": 0.1,", "invalid JSON");
    }

    @Test
    void missingFileIsReported(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SchedulerConfig.read(dir.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME)));
        assertTrue(e.getMessage().startsWith("scheduler/scheduler_config.json: file not found"), e.getMessage());
    }

    private static void expectError(String json, String expected) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SchedulerConfig.parse("scheduler/scheduler_config.json", json));
        assertTrue(e.getMessage().startsWith("scheduler/scheduler_config.json"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
    }

    private static Set<String> names(JsonNode n) {
        Set<String> out = new HashSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
