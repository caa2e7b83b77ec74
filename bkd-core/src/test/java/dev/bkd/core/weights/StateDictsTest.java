package dev.bkd.core.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.safetensors.SafetensorsException;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictsTest {
    @TempDir
    Path dir;

    @Test
    void opensASafetensorsFileLazily() {
        Path f = RefData.models().resolve("text_encoder/model.safetensors");
        try (StateDict sd = StateDicts.open(f); NDManager m = NDManager.newBaseManager()) {
            assertTrue(sd instanceof SafetensorsStateDict);
            assertEquals(37, sd.keys().size());
            assertEquals(new StateDict.TensorSpec("I64", new Shape(1, 77)), sd.spec("text_model.embeddings.position_ids"));
            long[] ids = sd.load("text_model.embeddings.position_ids", m).toLongArray();
            for (int i = 0; i < 77; i++) {
                assertEquals(i, ids[i]);
            }
            Map<String, ai.djl.ndarray.NDArray> ref = RefData.load(f, m);
            String w = "text_model.embeddings.token_embedding.weight";
            assertArrayEquals(ref.get(w).toByteArray(), sd.load(w, m).toByteArray());
            assertThrows(SafetensorsException.class, () -> sd.spec("nope"));
        }
    }

    @Test
    void opensAComponentFolder() {
        try (StateDict sd = StateDicts.open(RefData.models().resolve("vae"))) {
            assertTrue(sd.contains("decoder.conv_in.bias"));
        }
    }

    @Test
    void readsPickleNamesWeightsOnlyAndRefusesShardedPickles() throws IOException {
        for (String name : new String[] {"pytorch_model.bin", "v1-5-pruned.ckpt", "x.pt", "y.pth", "M.BIN"}) {
            Path f = Files.writeString(dir.resolve(name), "not even a pickle");
            dev.bkd.core.pickle.PickleException e = assertThrows(dev.bkd.core.pickle.PickleException.class,
                    () -> StateDicts.open(f));
            assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("not a torch zip archive"),
                    e.getMessage());
        }
        Path f = Files.writeString(dir.resolve("diffusion_pytorch_model.bin.index.json"), "{}");
        PickleCheckpointException e = assertThrows(PickleCheckpointException.class, () -> StateDicts.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("arbitrary code"), e.getMessage());
        assertTrue(e.getMessage().contains("from safetensors.torch import save_file"), e.getMessage());
        assertTrue(e.getMessage().contains("safe_serialization=True"), e.getMessage());
    }

    @Test
    void unknownFilesMustParseAsSafetensors() throws IOException {
        Path f = Files.writeString(dir.resolve("weights.dat"), "garbage!");
        WeightFileException e = assertThrows(WeightFileException.class, () -> StateDicts.open(f));
        System.out.println("rejected: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("not a weight file"));
        Path sft = dir.resolve("unet.sft");
        Files.copy(RefData.models().resolve("unet/diffusion_pytorch_model.safetensors"), sft);
        try (StateDict sd = StateDicts.open(sft)) {
            assertEquals(684, sd.keys().size());
        }
    }
}
