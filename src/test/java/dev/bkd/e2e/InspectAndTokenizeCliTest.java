package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectAndTokenizeCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void inspectPipelineCountsMatchTheReference() throws Exception {
        JsonNode losses = JSON.readTree(RefData.ref("bksdm_losses.json").toFile());
        Cli r = Cli.run("inspect", RefData.models().toString());
        assertEquals(0, r.code(), r.err());
        long teacher = losses.get("teacher_num_params").asLong();
        assertTrue(r.out().contains(String.format("684 tensors, %,d parameters", teacher)), r.out());
        assertTrue(r.out().contains("UNet2DConditionModel"), r.out());
        assertTrue(r.out().contains("CLIPTextModel"), r.out());

        Cli student = Cli.run("inspect", RefData.models().resolve("unet_bk_base").toString());
        assertEquals(0, student.code(), student.err());
        assertTrue(student.out().contains(String.format("%d tensors, %,d parameters",
                losses.at("/sd_small/student_state_dict_keys").asInt(),
                losses.at("/sd_small/student_num_params").asLong())), student.out());
    }

    @Test
    void inspectListsTensorsOfAFile() {
        Cli r = Cli.run("inspect", RefData.models().resolve("vae/diffusion_pytorch_model.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*encoder\\.conv_in\\.weight\\s+F32\\s+\\(16, 3, 3, 3\\).*"), r.out());
    }

    @Test
    void badFilesExitNonZeroWithOneLine(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("broken.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        Cli r = Cli.run("inspect", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("bkd: ") && r.err().contains("broken.safetensors"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());

        Path pickle = tmp.resolve("model.ckpt");
        Files.write(pickle, new byte[] {(byte) 0x80, 2});
        Cli p = Cli.run("inspect", pickle.toString());
        assertEquals(1, p.code());
        assertTrue(p.err().toLowerCase().contains("safetensors"), p.err());

        assertEquals(2, Cli.run("inspect").code());
    }

    @Test
    void tokenizeJsonEqualsTransformers() throws Exception {
        JsonNode ref = JSON.readTree(RefData.ref("tokenizer_ref.json").toFile());
        JsonNode first = ref.get("prompts").get(1);
        String prompt = first.get("text").asText();
        Cli r = Cli.run("tokenize", "--model", RefData.models().toString(), "--json", prompt);
        assertEquals(0, r.code(), r.err());
        JsonNode got = JSON.readTree(r.out());
        assertEquals(first.get("hf_input_ids_77"), got.get("input_ids"));
    }
}
