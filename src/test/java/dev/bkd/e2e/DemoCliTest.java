package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.PipelineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bkd demo --quick} on the shipped teacher: every artefact is written, the report has its numbers, a rerun reuses. */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class DemoCliTest {
    @TempDir
    Path tmp;

    @Test
    void quickDemoWritesEverythingAndASecondRunReuses() throws Exception {
        Path out = tmp.resolve("demo");
        Cli first = Cli.run("demo", "--quick", "--out", out.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("copied the shipped teacher"), first.out());
        for (String f : List.of("grid.png", "report.json", "student/loss.png", "student/metrics.jsonl",
                "student/model_index.json", "student/unet/config.json", "student/vae/config.json", "teacher/model_index.json",
                "pruned/unet/config.json", "data/metadata.jsonl")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        JsonNode r = ConfigReader.MAPPER.readTree(out.resolve("report.json").toFile());
        long tp = r.at("/unet_parameters/teacher").asLong();
        long sp = r.at("/unet_parameters/student").asLong();
        assertTrue(sp > 0 && sp < tp, r.toString());
        assertTrue(r.at("/unet_latency_seconds/teacher").asDouble() > 0);
        assertTrue(r.at("/unet_latency_seconds/student").asDouble() > 0);
        for (String term : List.of("loss", "loss_task", "loss_kd_out", "loss_kd_feat")) {
            assertTrue(r.at("/final_losses/" + term).isNumber(), term);
        }
        for (String who : List.of("teacher", "student")) {
            JsonNode a = r.at("/prompt_following/" + who);
            assertEquals(15, a.get("images").asInt(), who);
            for (String k : List.of("all", "background", "colour", "shape")) {
                double v = a.get(k).asDouble();
                assertTrue(v >= 0 && v <= 1, who + " " + k);
            }
        }
        assertTrue(r.at("/prompt_following/gap_points").isNumber());
        for (String line : List.of("UNet parameters", "UNet latency", "final loss terms", "prompt following", "grid:",
                "loss curve:", "metrics:", "student:")) {
            assertTrue(first.out().contains(line), line);
        }
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(out.resolve("student"), PipelineOptions.defaults())) {
            assertEquals(sp, p.unet().parameterCount());
        }

        Cli second = Cli.run("demo", "--quick", "--out", out.toString());
        assertEquals(0, second.code(), second.err());
        for (String stage : List.of("reusing " + out.toAbsolutePath().resolve("teacher"), "reusing 24 captioned",
                "reusing the tiny student", "reusing the distilled student")) {
            assertTrue(second.out().contains(stage), stage + " in\n" + second.out());
        }
    }
}
