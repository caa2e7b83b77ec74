package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.config.UNetBlockType;
import dev.bkd.core.safetensors.SafetensorsEntry;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.testing.MacArithmetic;
import dev.bkd.core.testing.RefData;
import dev.bkd.examples.cli.BkdCli;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bkd benchmark on the tiny reference teacher: structure and counts only, no timing assertions. */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class BenchmarkCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tableAndJsonWithIndependentParameterAndMacCounts(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("bench/result.json");
        Cli r = Cli.run("benchmark", "--model", RefData.models().toString(), "--size", "64", "--steps", "1",
                "--threads", "1", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());

        // expected counts: reference data, and the closed-form MAC arithmetic on hand-written BK configs
        JsonNode losses = JSON.readTree(RefData.ref("bksdm_losses.json").toFile());
        UNet2DConditionConfig t = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
        UNet2DConditionConfig base = t.toBuilder().layersPerBlock(1).build();
        UNet2DConditionConfig small = base.toBuilder().midBlockType(null).build();
        UNet2DConditionConfig tiny = small.toBuilder().blockOutChannels(16, 32, 32)
                .downBlockTypes(UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.CrossAttnDownBlock2D,
                        UNetBlockType.CrossAttnDownBlock2D)
                .upBlockTypes(UNetBlockType.CrossAttnUpBlock2D, UNetBlockType.CrossAttnUpBlock2D,
                        UNetBlockType.CrossAttnUpBlock2D).build();
        long baseParams = losses.at("/sd_small/student_num_params").asLong();
        Map<String, long[]> expected = Map.of(
                "teacher", new long[] {losses.get("teacher_num_params").asLong(), MacArithmetic.unet(t, 8, 77)},
                "base", new long[] {baseParams, MacArithmetic.unet(base, 8, 77)},
                "small", new long[] {baseParams - midBlockParams(), MacArithmetic.unet(small, 8, 77)},
                "tiny", new long[] {losses.at("/sd_tiny/student_num_params").asLong(), MacArithmetic.unet(tiny, 8, 77)});

        JsonNode o = JSON.readTree(json.toFile());
        assertEquals(64, o.at("/settings/size").asInt());
        assertEquals(8, o.at("/settings/latent").asInt());
        assertEquals(1, o.at("/settings/steps").asInt());
        assertEquals(Runtime.getRuntime().availableProcessors(), o.at("/machine/cores").asInt());
        assertEquals(3, o.at("/machine/load_average_before").size());
        JsonNode vs = o.get("variants");
        assertEquals(List.of("teacher", "base", "small", "tiny"),
                List.of(vs.get(0), vs.get(1), vs.get(2), vs.get(3)).stream().map(v -> v.get("variant").asText()).toList());
        for (JsonNode v : vs) {
            String name = v.get("variant").asText();
            assertEquals(expected.get(name)[0], v.get("parameters").asLong(), name + " parameters");
            assertEquals(expected.get(name)[1], v.get("macs").asLong(), name + " MACs");
            assertEquals(1, v.at("/forward_seconds/runs").size(), name);
            assertTrue(v.at("/forward_seconds/median").asDouble() > 0, name);
            assertEquals(name.equals("teacher"), v.get("kd_step_seconds").isNull(), name + ": KD step for students only");
            assertTrue(v.get("peak_rss_bytes").asLong() > 0, name);
            long kdPeak = v.get("kd_peak_rss_bytes").asLong();
            assertTrue(name.equals("teacher") ? kdPeak == -1 : kdPeak > 0 && kdPeak <= v.get("peak_rss_bytes").asLong(),
                    name + ": the KD steps' own peak, within the variant's");
            assertTrue(v.at("/forward_seconds/min").asDouble() <= v.at("/forward_seconds/median").asDouble(), name);
            assertTrue(v.get("matmul_gmacs_per_s").asDouble() > 0, name);
            assertEquals(name.equals("teacher") ? null : "no", v.get("mixed_precision").isNull() ? null
                    : v.get("mixed_precision").asText(), name + ": the KD step's precision");
            // the table row carries the same counts
            assertTrue(r.out().matches("(?s).*\\n" + name + " +" + String.format("%,d", expected.get(name)[0]) + " +"
                    + String.format("%,d", expected.get(name)[1]) + " +\\d+\\.\\d{3} \\(\\d+\\.\\d{3}\\) +\\d+\\.\\d\\dx .*"), r.out());
        }
        assertEquals(1.0, vs.get(0).get("forward_speedup").asDouble(), 1e-12);
        assertTrue(r.out().contains("KD step = teacher forward (no grad)"), r.out());
    }

    /** --isolate: each variant in its own JVM, results merged in the requested order; the parent is a fresh JVM too. */
    @Test
    void isolatedVariantsRunInChildJvms(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("iso.json");
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx1g", "-Dai.djl.pytorch.num_threads=1", "-cp", System.getProperty("java.class.path"),
                BkdCli.class.getName()));
        cmd.addAll(List.of("benchmark", "--model", RefData.models().toString(), "--size", "64", "--steps", "1",
                "--isolate", "--no-train", "--variants", "tiny,teacher", "--json", json.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("  [tiny] benchmark: tiny ..."), out);
        JsonNode o = JSON.readTree(json.toFile());
        assertTrue(o.at("/settings/isolated").asBoolean());
        JsonNode vs = o.get("variants");
        assertEquals("tiny", vs.get(0).get("variant").asText());
        assertEquals(JSON.readTree(RefData.ref("bksdm_losses.json").toFile()).at("/sd_tiny/student_num_params").asLong(),
                vs.get(0).get("parameters").asLong());
        assertTrue(vs.get(0).get("kd_step_seconds").isNull(), "--no-train");
        assertEquals(1.0, vs.get(1).get("forward_speedup").asDouble(), 1e-12);
    }

    /**
     * --mixed-precision fp16: the KD step with a float16 teacher, the student under autocast and loss scaling, recorded
     * per variant; the peak RSS per variant is still measured. Tiny sizes: float16 is very slow on a CPU.
     */
    @Test
    void mixedPrecisionKdStepIsRecordedPerVariant(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("mp.json");
        Cli r = Cli.run("benchmark", "--model", RefData.models().toString(), "--size", "64", "--steps", "1",
                "--threads", "1", "--variants", "teacher,tiny", "--mixed-precision", "fp16", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        JsonNode o = JSON.readTree(json.toFile());
        assertEquals("fp16", o.at("/settings/mixed_precision").asText());
        JsonNode teacher = o.get("variants").get(0);
        JsonNode tiny = o.get("variants").get(1);
        assertTrue(teacher.get("mixed_precision").isNull(), "no KD step for the teacher");
        assertEquals("fp16", tiny.get("mixed_precision").asText());
        assertTrue(tiny.at("/kd_step_seconds/median").asDouble() > 0);
        assertTrue(tiny.get("kd_peak_rss_bytes").asLong() > 0 && tiny.get("peak_rss_bytes").asLong() > 0);
        assertTrue(r.out().contains("in mixed precision (float16 teacher, float16 autocast student, loss scaling)"),
                r.out());

        Cli bad = Cli.run("benchmark", "--model", RefData.models().toString(), "--mixed-precision", "bf16");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--mixed-precision must be `no` or `fp16`"), bad.err());
    }

    @Test
    void badArguments() {
        Cli suite = Cli.run("benchmark", "--suite", "disk");
        assertEquals(1, suite.code());
        assertTrue(suite.err().contains("no suite \"disk\"") && suite.err().contains("ops"), suite.err());
        Cli size = Cli.run("benchmark", "--model", RefData.models().toString(), "--size", "100");
        assertEquals(1, size.code());
        assertTrue(size.err().contains("--size 100 must be a positive multiple of 64"), size.err());
        assertEquals(2, Cli.run("benchmark", "--steps", "x").code());
    }

    /** Parameters of the reference base student's mid block (small = base without it). */
    private static long midBlockParams() {
        try (SafetensorsFile f = SafetensorsFile.open(RefData.models().resolve(
                "unet_bk_base/diffusion_pytorch_model.safetensors"))) {
            return f.entries().stream().filter(e -> e.name().startsWith("mid_block."))
                    .mapToLong(SafetensorsEntry::elementCount).sum();
        }
    }
}
