package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.io.FileTrees;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13 item 9: {@code bkd inspect} did not flag weights that disagree with config.json. */
class InspectConfigCliTest {
    @Test
    void weightsThatDisagreeWithTheConfigAreFlagged(@TempDir Path tmp) throws Exception {
        Cli ok = Cli.run("inspect", RefData.models().resolve("unet").toString());
        assertEquals(0, ok.code(), ok.err());
        assertFalse(ok.out().contains("WARNING"), ok.out());

        Path unet = tmp.resolve("unet");
        FileTrees.copy(RefData.models().resolve("unet"), unet);
        Path config = unet.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"cross_attention_dim\": 32",
                "\"cross_attention_dim\": 48").replace("\"layers_per_block\": 2", "\"layers_per_block\": 3"));
        Cli r = Cli.run("inspect", unet.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("WARNING: diffusion_pytorch_model.safetensors disagrees with config.json"), r.out());
        assertTrue(r.out().contains("Missing key(s)") && r.out().contains("resnets.2"), r.out());
        assertTrue(r.out().contains("Size mismatch(es)") && r.out().contains("attn2.to_k.weight: weights have"), r.out());
    }
}
