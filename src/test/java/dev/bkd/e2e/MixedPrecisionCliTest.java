package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.RefData;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --mixed-precision fp16} reaches the autocast forward from the CLIs that take it: distill (float16 teacher,
 * KD feature taps, with gradient checkpointing) and lora (with its text encoder trained); tiny sizes, since float16 is
 * slow on a CPU. Numerics are tested in core (AutocastUNetTest) and train (MixedPrecisionLoopTest).
 */
@org.junit.jupiter.api.Tag("slow")
class MixedPrecisionCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void distillAndLoraTrainInMixedPrecision(@TempDir Path tmp) throws Exception {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 4, 40, 5);
        Path out = tmp.resolve("distill");
        Cli d = Cli.run(DistillCliTest.args(data, out, tmp.resolve("cache"), "--steps", "2", "--mixed-precision",
                "fp16", "--gradient-checkpointing"));
        assertEquals(0, d.code(), d.err());
        assertTrained(out, 2, "loss_kd_feat");

        Path lora = tmp.resolve("lora");
        Cli l = Cli.run("lora", "--model", RefData.models().toString(), "--data", data.toString(), "--out",
                lora.toString(), "--resolution", "32", "--rank", "4", "--steps", "2", "--batch", "2",
                "--train-text-encoder", "--mixed-precision", "fp16");
        assertEquals(0, l.code(), l.err());
        assertTrained(lora, 2, "loss");
    }

    /** Every step logged a finite loss and the checkpoint carries GradScaler's state after that many good steps. */
    private static void assertTrained(Path out, int steps, String lossKey) throws Exception {
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(steps, lines.size());
        for (String line : lines) {
            JsonNode m = JSON.readTree(line);
            assertTrue(Double.isFinite(m.get(lossKey).asDouble()) && Double.isFinite(m.get("grad_norm").asDouble()),
                    line);
        }
        JsonNode st = JSON.readTree(out.resolve("checkpoint-" + steps + "/trainer_state.json").toFile());
        JsonNode scaler = st.findValue(TrainingLoop.SCALER);
        assertEquals(65536.0, scaler.get("scale").asDouble(), "no overflow on the tiny model: the initial scale");
        assertEquals(steps, scaler.get("_growth_tracker").asInt());
    }
}
