package dev.bkd.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.modules.Taps;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.WeightLoadException;
import dev.bkd.core.weights.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AutoencoderKL against diffusers 0.40 outputs in ref/vae.safetensors. */
class AutoencoderKLTest {
    static final double TOL = 1e-4;
    static NDManager manager;
    static AutoencoderKLConfig config;
    static Map<String, NDArray> weights;
    static Map<String, NDArray> ref;
    static AutoencoderKL vae;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        config = AutoencoderKLConfig.read(RefData.models().resolve("vae/config.json"));
        weights = RefData.load(RefData.models().resolve("vae/diffusion_pytorch_model.safetensors"), manager);
        ref = RefData.load(RefData.ref("vae.safetensors"), manager);
        vae = model(weights);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static AutoencoderKL model(Map<String, NDArray> w) {
        return AutoencoderKL.fromStateDict(config, StateDict.of(w), manager, Weights.LoadOptions.strictFp32());
    }

    static void assertClose(String name, NDArray expected, NDArray actual) {
        double err = RefData.maxAbsDiff(expected, actual);
        System.out.printf("vae %-30s max abs err %.3e%n", name, err);
        assertTrue(err <= TOL, name + ": max abs err " + err);
    }

    @Test
    void encodeMatchesDiffusers() {
        try (Taps taps = Taps.open(vae, List.of("encoder.mid_block", "encoder", "quant_conv"), "test")) {
            DiagonalGaussianDistribution d = vae.encode(ref.get("image"));
            Map<String, NDArray> t = taps.results();
            assertClose("encoder.mid_block", ref.get("encoder.mid_block"), t.get("encoder.mid_block"));
            assertClose("encoder.out", ref.get("encoder.out"), t.get("encoder"));
            assertClose("moments", ref.get("moments"), t.get("quant_conv"));
            assertClose("latent_mean", ref.get("latent_mean"), d.mean());
            assertClose("latent_logvar", ref.get("latent_logvar"), d.logvar());
            assertClose("latent_std", ref.get("latent_std"), d.std());
        }
        // and without taps (scoped temporaries freed)
        assertClose("latent_mean(untapped)", ref.get("latent_mean"), vae.encode(ref.get("image")).mean());
    }

    @Test
    void decodeMatchesDiffusers() {
        try (Taps taps = Taps.open(vae, List.of("decoder.conv_in", "decoder.mid_block"), "test")) {
            NDArray img = vae.decode(ref.get("z"));
            assertClose("decoder.conv_in", ref.get("decoder.conv_in"), taps.results().get("decoder.conv_in"));
            assertClose("decoder.mid_block", ref.get("decoder.mid_block"), taps.results().get("decoder.mid_block"));
            assertClose("decoded", ref.get("decoded"), img);
        }
        assertClose("decoded(untapped)", ref.get("decoded"), vae.decode(ref.get("z")));
    }

    @Test
    void reconstructionIsDecodeOfTheMean() {
        NDArray rec = vae.decode(vae.encode(ref.get("image")).mean());
        assertClose("reconstruction", ref.get("reconstruction"), rec);
    }

    @Test
    void scalingFactorComesFromConfig() {
        assertEquals(0.18215, vae.scalingFactor());
    }

    @Test
    void legacyAttentionNamesLoad() {
        Map<String, NDArray> legacy = new LinkedHashMap<>();
        weights.forEach((k, v) -> legacy.put(k.replace(".to_q.", ".query.").replace(".to_k.", ".key.")
                .replace(".to_v.", ".value.").replace(".to_out.0.", ".proj_attn."), v));
        assertTrue(legacy.containsKey("decoder.mid_block.attentions.0.proj_attn.weight"));
        assertTrue(legacy.containsKey("encoder.mid_block.attentions.0.query.bias"));
        assertFalse(legacy.keySet().stream().anyMatch(k -> k.contains(".to_q.") || k.contains(".to_out.")));
        AutoencoderKL old = model(legacy);
        assertClose("legacy-names decoded", ref.get("decoded"), old.decode(ref.get("z")));
        assertClose("legacy-names latent_mean", ref.get("latent_mean"), old.encode(ref.get("image")).mean());
    }

    @Test
    void legacyRenameTouchesOnlyAttentionProjections() {
        assertEquals("encoder.mid_block.attentions.0.to_q.weight",
                AutoencoderKL.currentName("encoder.mid_block.attentions.0.query.weight"));
        assertEquals("decoder.mid_block.attentions.0.to_out.0.bias",
                AutoencoderKL.currentName("decoder.mid_block.attentions.0.proj_attn.bias"));
        assertEquals("decoder.mid_block.attentions.0.group_norm.weight",
                AutoencoderKL.currentName("decoder.mid_block.attentions.0.group_norm.weight"));
        assertEquals("encoder.down_blocks.0.resnets.0.conv1.weight",
                AutoencoderKL.currentName("encoder.down_blocks.0.resnets.0.conv1.weight"));
        assertEquals("quant_conv.weight", AutoencoderKL.currentName("quant_conv.weight"));
    }

    @Test
    void fp16WeightsLoadAsRequestedDtype() {
        Map<String, NDArray> half = new LinkedHashMap<>();
        weights.forEach((k, v) -> half.put(k, v.toType(DataType.FLOAT16, false)));
        AutoencoderKL m = model(half);
        Map<String, NDArray> loaded = Weights.stateDict(m);
        assertEquals(weights.keySet(), loaded.keySet());
        loaded.forEach((k, v) -> {
            assertEquals(DataType.FLOAT32, v.getDataType(), k);
            assertArrayEquals(half.get(k).toType(DataType.FLOAT32, false).toFloatArray(), v.toFloatArray(), k);
        });
        NDArray dec = m.decode(ref.get("z"));
        assertEquals(DataType.FLOAT32, dec.getDataType());
        System.out.printf("vae fp16-weights decoded vs fp32 reference: max abs err %.3e (fp16 rounding, not asserted)%n",
                RefData.maxAbsDiff(ref.get("decoded"), dec));
    }

    @Test
    void fromPretrainedAndSaveRoundTrip(@TempDir Path tmp) {
        AutoencoderKL m = AutoencoderKL.fromPretrained(RefData.models().resolve("vae"), manager,
                Weights.LoadOptions.strictFp32());
        assertEquals(config, m.config());
        assertClose("fromPretrained decoded", ref.get("decoded"), m.decode(ref.get("z")));
        Path dir = tmp.resolve("vae");
        m.save(dir);
        assertTrue(Files.isRegularFile(dir.resolve("config.json")));
        Map<String, NDArray> written = RefData.load(dir.resolve("diffusion_pytorch_model.safetensors"), manager);
        assertEquals(weights.keySet(), written.keySet());
        written.forEach((k, v) -> assertEquals(0.0, RefData.maxAbsDiff(weights.get(k), v), k));
        AutoencoderKL back = AutoencoderKL.fromPretrained(dir, manager, Weights.LoadOptions.strictFp32());
        assertClose("saved+reloaded latent_mean", ref.get("latent_mean"), back.encode(ref.get("image")).mean());
    }

    @Test
    void wrongInputsGiveSpecificErrors() {
        BkdException img = assertThrows(BkdException.class, () -> vae.encode(manager.zeros(new Shape(1, 4, 16, 16))));
        assertTrue(img.getMessage().contains("(batch, 3, height, width)") && img.getMessage().contains("in_channels"),
                img.getMessage());
        BkdException lat = assertThrows(BkdException.class, () -> vae.decode(manager.zeros(new Shape(4, 16, 16))));
        assertTrue(lat.getMessage().contains("latent_channels") && lat.getMessage().contains("(4, 16, 16)"),
                lat.getMessage());
    }

    @Test
    void configWithoutMidAttentionOrQuantConvRejectsThoseWeights() {
        AutoencoderKLConfig plain = new AutoencoderKLConfig(config.inChannels(), config.outChannels(),
                config.downBlockTypes(), config.upBlockTypes(), config.blockOutChannels(), config.layersPerBlock(),
                config.actFn(), config.latentChannels(), config.normNumGroups(), config.sampleSize(),
                config.scalingFactor(), null, null, null, true, false, false, false, null);
        WeightLoadException e = assertThrows(WeightLoadException.class, () -> AutoencoderKL.fromStateDict(plain,
                StateDict.of(weights), manager, Weights.LoadOptions.strictFp32(), "vae/diffusion_pytorch_model.safetensors"));
        String msg = e.getMessage();
        assertTrue(msg.contains("vae/diffusion_pytorch_model.safetensors"), msg);
        assertEquals(0, e.report().missing().size(), msg);
        // 2 attentions x (group_norm, to_q, to_k, to_v, to_out.0) x (weight, bias) + 2 convs x 2
        assertEquals(2 * 10 + 4, e.report().unexpected().size(), msg);
        assertTrue(e.report().unexpected().contains("quant_conv.weight"), msg);
        assertTrue(e.report().unexpected().contains("encoder.mid_block.attentions.0.to_q.weight"), msg);
    }

    @Test
    void missingAndMisShapedWeightsAreReportedTogether() {
        Map<String, NDArray> w = new LinkedHashMap<>(weights);
        w.remove("decoder.up_blocks.3.resnets.0.conv_shortcut.weight");
        w.put("encoder.conv_in.weight", manager.zeros(new Shape(16, 4, 3, 3)));
        WeightLoadException e = assertThrows(WeightLoadException.class, () -> model(w));
        assertTrue(e.getMessage().contains("decoder.up_blocks.3.resnets.0.conv_shortcut.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("encoder.conv_in.weight: weights have (16, 4, 3, 3), the model needs (16, 3, 3, 3)"),
                e.getMessage());
    }

    @Test
    void parameterNamesAreExactlyTheDiffusersKeys() {
        assertEquals(weights.keySet(), Weights.slots(new AutoencoderKL(config)).keySet());
    }

    /** Temporaries are freed per step: the caller's manager keeps only its input and the results. */
    @Test
    void decodeAndEncodeLeaveOnlyTheirResults() {
        int modelArrays = ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size();
        try (NDManager scope = manager.newSubManager()) {
            NDArray z = ref.get("z").duplicate();
            z.attach(scope);
            NDArray img = vae.decode(z);
            List<NDArray> left = scope.getManagedArrays();
            assertEquals(2, left.size(), "arrays left in the caller's manager: " + left);
            assertTrue(left.stream().anyMatch(a -> a == z) && left.stream().anyMatch(a -> a == img), left.toString());
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray image = ref.get("image").duplicate();
            image.attach(scope);
            vae.encode(image);
            // image, moments and the posterior's mean, logvar, std, var
            List<NDArray> left = scope.getManagedArrays();
            assertEquals(6, left.size(), "arrays left in the caller's manager: " + left);
        }
        assertEquals(modelArrays, ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size(),
                "nothing new attached to the model's manager");
    }
}
