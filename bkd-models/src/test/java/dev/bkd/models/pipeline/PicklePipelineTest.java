package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.testing.TorchSaveFiles;
import dev.bkd.core.weights.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A diffusers folder whose text encoder and UNet are torch.save pickles loads the same weights, weights-only. */
class PicklePipelineTest {
    @TempDir
    Path tmp;

    @Test
    void pytorchModelBinComponentsLoadLikeTheirSafetensors() throws IOException {
        Path folder = tmp.resolve("sd-tiny-bin");
        try (Stream<Path> s = Files.walk(RefData.models())) {
            for (Path p : s.sorted().toList()) {
                Path t = folder.resolve(RefData.models().relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Path te = folder.resolve("text_encoder");
            TorchSaveFiles.write(te.resolve("pytorch_model.bin"), RefData.load(te.resolve("model.safetensors"), m));
            Files.delete(te.resolve("model.safetensors"));
            Path unet = folder.resolve("unet");
            TorchSaveFiles.write(unet.resolve("diffusion_pytorch_model.bin"),
                    RefData.load(unet.resolve("diffusion_pytorch_model.safetensors"), m));
            Files.delete(unet.resolve("diffusion_pytorch_model.safetensors"));
        }
        try (DiffusionPipeline bin = DiffusionPipeline.fromPretrained(folder, PipelineOptions.defaults());
                DiffusionPipeline ref = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults())) {
            same(Weights.stateDict(ref.textEncoder()), Weights.stateDict(bin.textEncoder()));
            same(Weights.stateDict(ref.unet()), Weights.stateDict(bin.unet()));
        }
    }

    private static void same(Map<String, NDArray> a, Map<String, NDArray> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toByteArray(), b.get(k).toByteArray(), k);
        }
    }
}
