package dev.bkd.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.testing.CounterRecipe;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pytorch-fid's FID Inception-v3 against the eval reference set: the counter-based random weights bit for bit
 * (sha256 per tensor), loaded by pytorch-fid's key names, the 299 bilinear input, every block's output and the
 * 2048-d pool3 features.
 */
class FidReferenceTest {
    @TempDir
    static Path dir;
    static NDManager manager;
    static Map<String, NDArray> ref;
    static Path weights;
    static List<RgbImage> images = new ArrayList<>();

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.file("eval", "ref/fid_features.safetensors"), manager);
        weights = CounterRecipe.fidInception().writeSafetensors(dir.resolve("fid_inception.safetensors"));
        try (Stream<Path> s = Files.list(RefData.file("eval", "fid_images"))) {
            s.sorted().forEach(p -> images.add(RgbImage.read(p)));
        }
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    @Test
    void recipeWeightsAreBitExact() {
        CounterRecipe r = CounterRecipe.fidInception();
        int checked = 0;
        for (JsonNode k : r.keys()) {
            if (k.has("sha256_le_f32")) {
                assertEquals(k.get("sha256_le_f32").asText(), CounterRecipe.sha256(r.values(k)), k.get("name").asText());
                checked++;
            }
        }
        assertEquals(472, checked);
    }

    @Test
    void toTensorInputEqualsTheReference() {
        assertEquals(4, images.size());
        float[] got = new float[4 * 3 * 64 * 64];
        for (int i = 0; i < 4; i++) {
            System.arraycopy(InceptionFeatures.toTensor(images.get(i)), 0, got, i * 3 * 64 * 64, 3 * 64 * 64);
        }
        assertTrue(RefData.maxAbsDiff(manager.create(got, ref.get("input").getShape()), ref.get("input")) <= 1e-7);
    }

    @Test
    void everyStageAndThePool3FeaturesMatchPytorchFid() {
        Set<String> traced = new HashSet<>();
        try (InceptionFeatures inc = InceptionFeatures.load(weights, manager, 4);
             NDManager scope = manager.newSubManager()) {
            NDArray x = ref.get("input").duplicate();
            x.attach(scope);
            NDArray feats = inc.model().features(x, (name, out) -> {
                String key = name.equals("input_299") ? "input_299.channel_mean" : "trace." + name + ".channel_mean";
                if (ref.containsKey(key)) {
                    double d = RefData.maxAbsDiff(dev.bkd.models.inception.InceptionV3.spatialMean(out), ref.get(key));
                    assertTrue(d <= 1e-4, name + " channel means differ by " + d);
                    traced.add(name);
                }
                if (name.equals("input_299")) {
                    for (String c : List.of("crop_0_0", "crop_145_145", "crop_291_291")) {
                        String[] p = c.split("_");
                        int y = Integer.parseInt(p[1]);
                        int xx = Integer.parseInt(p[2]);
                        NDArray crop = out.get(new NDIndex(":, :, {}:{}, {}:{}", y, y + 8, xx, xx + 8));
                        assertTrue(RefData.maxAbsDiff(crop, ref.get("input_299." + c)) <= 1e-6, c);
                    }
                }
                if (name.equals("Conv2d_1a_3x3")) {
                    assertTrue(RefData.maxAbsDiff(out.get(new NDIndex(":, :, 0:6, 0:6")),
                            ref.get("trace.Conv2d_1a_3x3.crop")) <= 1e-4);
                }
                if (name.equals("Mixed_7c")) {
                    assertTrue(RefData.maxAbsDiff(out.get(new NDIndex(":, 0:16, :, :")),
                            ref.get("trace.Mixed_7c.crop")) <= 1e-4);
                }
            });
            assertEquals(Set.of("input_299", "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1",
                    "Conv2d_4a_3x3", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
                    "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"), traced);
            double d = RefData.maxAbsDiff(feats, ref.get("features"));
            System.out.printf("fid features max abs err %.3e%n", d);
            assertTrue(d <= 1e-4, "features differ by " + d);
            // the same from the PNG files, through the batching facade (batch 3: a full and a partial batch)
            try (InceptionFeatures inc3 = InceptionFeatures.load(weights, manager, 3)) {
                float[][] rows = inc3.features(images);
                assertTrue(RefData.maxAbsDiff(manager.create(rows), ref.get("features")) <= 1e-4);
            }
        }
    }

    @Test
    void theSameWeightsAsATorchSaveFileGiveTheSameFeatures() throws Exception {
        // pytorch-fid's .pth layout (a torch.save zip), read weights-only: nothing in the file runs
        Path pth = dir.resolve("pt_inception-recipe.pth");
        try (NDManager m = NDManager.newBaseManager()) {
            dev.bkd.core.testing.TorchSaveFiles.write(pth, CounterRecipe.fidInception().tensors(m));
        }
        try (InceptionFeatures inc = InceptionFeatures.load(pth, manager, 4)) {
            float[][] rows = inc.features(images);
            double d = RefData.maxAbsDiff(manager.create(rows), ref.get("features"));
            assertTrue(d <= 1e-4, "features from the .pth differ by " + d);
        } finally {
            Files.deleteIfExists(pth);
        }
    }

    @Test
    void missingOrForeignWeightsFailNamingTheFile() throws Exception {
        var e = assertThrows(dev.bkd.core.BkdException.class,
                () -> InceptionFeatures.load(dir.resolve("nope.safetensors"), manager, 2));
        assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
        Path clip = RefData.file("eval", "clip_tiny/model.safetensors");
        var e2 = assertThrows(dev.bkd.core.BkdException.class, () -> InceptionFeatures.load(clip, manager, 2));
        assertTrue(e2.getMessage().contains("model.safetensors"), e2.getMessage());
    }
}
