package dev.bkd.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.clip.ClipVisionOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLIP image tower, text projection, CLIPImageProcessor (PIL path) and torchmetrics' CLIPScore against the
 * eval reference set (transformers 5.17 + torchmetrics 1.9 on clip_tiny and six PNGs).
 */
class ClipReferenceTest {
    static NDManager manager;
    static Map<String, NDArray> ref;
    static ClipFeatures clip;
    static List<RgbImage> images = new ArrayList<>();
    static List<String> captions = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.file("eval", "ref/clip_score.safetensors"), manager);
        JsonNode json = new ObjectMapper().readTree(RefData.file("eval", "ref/clip_score.json").toFile());
        for (int i = 0; i < 6; i++) {
            images.add(RgbImage.read(RefData.file("eval", "images/" + json.get("files").get(i).asText())));
            captions.add(json.get("captions").get(i).asText());
        }
        clip = ClipFeatures.load(RefData.file("eval", "clip_tiny"), manager, 4);
    }

    @AfterAll
    static void free() {
        clip.close();
        manager.close();
    }

    @Test
    void pngPixelsEqualTheReferenceArrays() {
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(ref.get("images." + i + ".u8").toByteArray(), images.get(i).hwc(), "image " + i);
        }
    }

    @Test
    void pilBicubicResizeIsBitExact() {
        ClipImageProcessor p = clip.processor();
        for (int i = 0; i < 6; i++) {
            NDArray want = ref.get("pil.resized_u8." + i);
            int[] size = p.resizedSize(images.get(i).width(), images.get(i).height());
            assertEquals(want.getShape().get(0), size[1], "height " + i);
            assertEquals(want.getShape().get(1), size[0], "width " + i);
            RgbImage got = PilBicubic.resize(images.get(i), size[0], size[1]);
            assertArrayEquals(want.toByteArray(), got.hwc(), "resized image " + i);
        }
    }

    @Test
    void pixelValuesMatchClipImageProcessorPil() {
        NDArray px = clip.processor().pixelValues(images, manager);
        assertTrue(RefData.maxAbsDiff(px, ref.get("pil.pixel_values")) <= 1e-6);
    }

    @Test
    void visionTowerHiddenStatesPooledAndImageEmbeddings() {
        NDArray px = ref.get("pil.pixel_values");
        ClipVisionOutput out = clip.model().visionModel().forward(px);
        for (int l = 0; l < 3; l++) {
            double d = RefData.maxAbsDiff(out.hiddenStates().get(l), ref.get("pil.vision.hidden_states." + l));
            assertTrue(d <= 1e-4, "hidden state " + l + ": " + d);
        }
        assertTrue(RefData.maxAbsDiff(out.pooled(), ref.get("pil.vision.pooled")) <= 1e-4);
        double d = RefData.maxAbsDiff(clip.model().imageEmbeddings(px), ref.get("pil.image_embeds"));
        assertTrue(d <= 1e-5, "image_embeds " + d);
        float[][] fromPng = clip.imageEmbeddings(images);
        assertTrue(RefData.maxAbsDiff(manager.create(fromPng), ref.get("pil.image_embeds")) <= 1e-5);
    }

    @Test
    void textEmbeddingsFromCaptions() {
        float[][] got = clip.textEmbeddings(captions);
        double d = RefData.maxAbsDiff(manager.create(got), ref.get("text_embeds"));
        assertTrue(d <= 1e-5, "text_embeds " + d);
    }

    @Test
    void clipScoreIsTorchmetricsMeanThenClamp() {
        double[] scores = clip.pairScores(images, captions);
        float[] want = ref.get("pil.scores_raw").toFloatArray();
        for (int i = 0; i < 6; i++) {
            assertEquals(want[i], scores[i], 1e-4, "pair " + i);
        }
        double tm = ref.get("pil.torchmetrics").toFloatArray()[0];
        assertEquals(tm, new ClipScore().update(scores).compute(), 1e-4);
        ClipScore two = new ClipScore().update(java.util.Arrays.copyOfRange(scores, 0, 3))
                .update(java.util.Arrays.copyOfRange(scores, 3, 6));
        assertEquals(ref.get("pil.torchmetrics_two_updates").toFloatArray()[0], two.compute(), 1e-4);
        // pair 5 alone is negative: the clamp gives 0; clamping per pair first would give a different mean
        assertEquals(ref.get("pil.torchmetrics_negative_subset").toFloatArray()[0],
                new ClipScore().update(new double[] {scores[5]}).compute(), 1e-4);
        double perPairClamped = java.util.Arrays.stream(scores).map(s -> Math.max(s, 0)).average().orElseThrow();
        assertTrue(Math.abs(perPairClamped - tm) > 0.1, "the reference case separates the two clamp orders");
    }

    @Test
    void legacyAndDictPreprocessorConfigsReadAlike(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("preprocessor_config.json");
        Files.writeString(f, "{\"size\": {\"shortest_edge\": 32}, \"crop_size\": {\"height\": 32, \"width\": 32},"
                + " \"resample\": 3, \"image_processor_type\": \"CLIPImageProcessor\"}");
        NDArray px = ClipImageProcessor.read(f).pixelValues(images, manager);
        assertTrue(RefData.maxAbsDiff(px, ref.get("pil.pixel_values")) <= 1e-6);
        Files.writeString(f, "{\"size\": 32, \"crop_size\": 32, \"resample\": 2}");
        var e = assertThrows(dev.bkd.core.config.ConfigException.class, () -> ClipImageProcessor.read(f));
        assertTrue(e.getMessage().contains("resample"), e.getMessage());
    }

    @Test
    void loneSafetensorsTakesItsSizesFromTheShapes(@TempDir Path dir) {
        try (var w = dev.bkd.core.weights.StateDicts.open(RefData.file("eval", "clip_tiny/model.safetensors"))) {
            var m = dev.bkd.models.clip.ClipModel.fromShapes(w, "clip_tiny");
            var v = m.visionConfig();
            assertEquals(List.of(32, 64, 16, 2, 32, 8, 3), List.of(v.hiddenSize(), v.intermediateSize(),
                    v.projectionDim(), v.numHiddenLayers(), v.imageSize(), v.patchSize(), v.numChannels()));
            var t = m.textConfig();
            assertEquals(List.of(49408, 32, 37, 2, 77), List.of(t.vocabSize(), t.hiddenSize(), t.intermediateSize(),
                    t.numHiddenLayers(), t.maxPositionEmbeddings()));
        }
        var e = assertThrows(dev.bkd.core.BkdException.class, () -> dev.bkd.models.clip.ClipModel.load(
                dir.resolve("missing.safetensors"), manager, dev.bkd.core.weights.Weights.LoadOptions.strictFp32()));
        assertTrue(e.getMessage().contains("missing.safetensors"), e.getMessage());
    }
}
