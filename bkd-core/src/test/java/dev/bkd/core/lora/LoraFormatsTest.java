package dev.bkd.core.lora;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.random.Generator;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.testing.LoraRef;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same adapter written by the test in kohya and older diffusers layouts loads to the same output as
 * bkd's PEFT file; keys that fit nowhere are reported (strict fails); unusable tensors fail.
 */
class LoraFormatsTest {
    static TinyUNet tiny;
    static NDManager manager;
    static UNet2DConditionModel source;
    static LoraAdapter adapter;
    static NDArray want;

    @BeforeAll
    static void build() {
        tiny = new TinyUNet();
        manager = tiny.manager;
        source = tiny.load();
        adapter = Lora.add(source, "default", new LoraConfig(4, 8, TinyUNet.TARGETS), new Generator(1));
        LoraRef.randomize(adapter, new Generator(2), 0.05);
        want = tiny.run(source);
    }

    @AfterAll
    static void free() {
        tiny.close();
    }

    /** A fresh UNet with {@code file} loaded; asserts the output and returns the report. */
    static LoraLoadReport loadAndCompare(Path file, boolean strict, NDArray expected) {
        UNet2DConditionModel u = tiny.load();
        LoraLoadReport r = LoraLoader.load(file, Map.of("unet", u), "x", 1.0, strict);
        double d = RefData.maxAbsDiff(expected, tiny.run(u));
        System.out.printf("%s %s: %d layers, max abs diff to the bkd adapter %.3g%n", r.formats(),
                file.getFileName(), r.layerCount(), d);
        assertEquals(0.0, d, "same tensors, same arithmetic: the same output");
        return r;
    }

    /** kohya names: lora_unet_ + path with '_', lora_down/lora_up, and an fp16 scalar alpha. */
    static Map<String, NDArray> kohya(LoraAdapter ad, double alpha) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        ad.layers().forEach((path, w) -> {
            String k = "lora_unet_" + path.replace('.', '_');
            out.put(k + ".lora_down.weight", w.loraA());
            out.put(k + ".lora_up.weight", w.loraB());
            out.put(k + ".alpha", manager.create((float) alpha).toType(DataType.FLOAT16, false));
        });
        return out;
    }

    @Test
    void kohyaFileMapsEveryKeyAndMatchesThePeftFile(@TempDir Path dir) {
        Path peft = LoraFiles.save(dir.resolve("peft"), Map.of("unet", adapter));
        Path k = dir.resolve("kohya.safetensors");
        SafetensorsWriter.write(k, kohya(adapter, 8));
        assertTrue(kohya(adapter, 8).containsKey(
                "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0.lora_down.weight"));
        LoraLoadReport rp = loadAndCompare(peft, true, want);
        LoraLoadReport rk = loadAndCompare(k, true, want);
        assertEquals(Set.of(LoraFormat.KOHYA), rk.formats());
        assertEquals(rp.layers(), rk.layers());
        assertTrue(rk.clean() && rk.notes().isEmpty(), rk.describe());
    }

    @Test
    void kohyaLoConOn3x3AndStride2ConvsEqualsAPlainUNetWithMergedWeights(@TempDir Path dir) {
        UNet2DConditionModel u = tiny.load();
        LoraAdapter ad = Lora.add(u, "locon", new LoraConfig(2, 1, List.of("resnets.0.conv1", "downsamplers.0.conv",
                "time_emb_proj")), new Generator(8));
        assertTrue(ad.layers().containsKey("down_blocks.0.downsamplers.0.conv"));
        LoraRef.randomize(ad, new Generator(9), 0.05);
        UNet2DConditionModel plain = UNet2DConditionModel.fromStateDict(u.config(),
                StateDict.of(LoraRef.mergedStateDict(u, Map.of(ad, 0.5), manager)), manager,
                UNet2DConditionModel.Options.defaults());
        NDArray expected = tiny.run(plain);
        Map<String, NDArray> t = new LinkedHashMap<>();
        ad.layers().forEach((path, w) -> {
            String k = "lora_unet_" + path.replace('.', '_');
            t.put(k + ".lora_down.weight", w.loraA());
            t.put(k + ".lora_up.weight", w.loraB());
            t.put(k + ".alpha", manager.create(1f));
        });
        Path f = dir.resolve("locon.safetensors");
        SafetensorsWriter.write(f, t);
        UNet2DConditionModel v = tiny.load();
        LoraLoadReport r = LoraLoader.load(f, Map.of("unet", v), "locon", 1.0, true);
        double d = RefData.maxAbsDiff(expected, tiny.run(v));
        double moved = RefData.maxAbsDiff(expected, tiny.run(tiny.load()));
        System.out.printf("kohya LoCon on %d conv/linear layers: vs merged-weight UNet %.3g (moves %.3g)%n",
                r.layerCount(), d, moved);
        assertEquals(ad.layers().size(), r.layerCount());
        assertTrue(d <= 1e-5 && moved > 1e-3, d + " " + moved);
    }

    @Test
    void olderDiffusersLayoutsLoadWithAlphaEqualToRank(@TempDir Path dir) {
        UNet2DConditionModel u = tiny.load();
        LoraAdapter ad = Lora.add(u, "default", new LoraConfig(4, 4, TinyUNet.TARGETS), new Generator(5));
        LoraRef.randomize(ad, new Generator(6), 0.05);
        NDArray expected = tiny.run(u);
        Map<String, NDArray> t = new LinkedHashMap<>();
        ad.layers().forEach((path, w) -> {
            int dot = path.lastIndexOf(".to_");
            if (dot > 0 && path.contains("attn")) { // attention-processor names: attn1.processor.to_out_lora.up
                String proc = path.substring(dot + 1).replace("to_out.0", "to_out");
                String at = "unet." + path.substring(0, dot) + ".processor." + proc + "_lora.";
                t.put(at + "down.weight", w.loraA());
                t.put(at + "up.weight", w.loraB());
            } else {
                t.put("unet." + path + ".lora.down.weight", w.loraA());
                t.put("unet." + path + ".lora.up.weight", w.loraB());
            }
        });
        assertTrue(t.containsKey(
                "unet.mid_block.attentions.0.transformer_blocks.0.attn2.processor.to_out_lora.up.weight"));
        Path f = dir.resolve("old.safetensors");
        SafetensorsWriter.write(f, t);
        LoraLoadReport r = loadAndCompare(f, true, expected);
        assertEquals(Set.of(LoraFormat.DIFFUSERS_OLD), r.formats());
        assertEquals(176, r.layerCount());
    }

    @Test
    void mixedRanksAndAlphasSurviveKohyaToPeftAndBack(@TempDir Path dir) {
        Map<String, NDArray> t = kohya(adapter, 8);
        // to_q layers: rank 2 (first two rows of A / columns of B) and alpha 3
        adapter.layers().forEach((path, w) -> {
            if (path.endsWith("to_q")) {
                String k = "lora_unet_" + path.replace('.', '_');
                t.put(k + ".lora_down.weight", w.loraA().get("0:2, :"));
                t.put(k + ".lora_up.weight", w.loraB().get(":, 0:2"));
                t.put(k + ".alpha", manager.create(3f));
            }
        });
        Path k = dir.resolve("mixed.safetensors");
        SafetensorsWriter.write(k, t);
        UNet2DConditionModel u = tiny.load();
        LoraLoader.load(k, Map.of("unet", u), "mixed", 1.0, true);
        NDArray expected = tiny.run(u);
        LoraWeights q = Lora.adapter(u, "mixed").layers()
                .get("down_blocks.1.attentions.1.transformer_blocks.0.attn2.to_q");
        assertEquals(2, q.rank());
        assertEquals(3.0, q.alpha());
        Path peft = LoraFiles.save(dir.resolve("out"), Map.of("unet", Lora.adapter(u, "mixed")));
        LoraLoadReport r = loadAndCompare(peft, true, expected);
        assertTrue(r.notes().isEmpty(), "metadata carries the ranks and alphas: " + r.notes());
    }

    @Test
    void keysThatFitNowhereAreReportedAndStrictRefusesThem(@TempDir Path dir) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        adapter.parameters().forEach((k, v) -> t.put("unet." + k, v));
        NDArray a = manager.ones(new Shape(4, 32));
        NDArray b = manager.ones(new Shape(32, 4));
        t.put("unet.down_blocks.9.attentions.0.proj_in.lora_A.weight", a);
        t.put("unet.down_blocks.9.attentions.0.proj_in.lora_B.weight", b);
        t.put("lora_unet_not_a_layer.lora_down.weight", a);
        t.put("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", a);
        t.put("unet.conv_in.lora_A.weight", manager.ones(new Shape(4, 4, 3, 3)));
        t.put("optimizer_step", manager.create(3f));
        Path f = dir.resolve("extra.safetensors");
        SafetensorsWriter.write(f, t, Map.of(LoraMetadata.KEY, LoraMetadata.write(Map.of("unet", adapter))));
        LoraLoadReport r = loadAndCompare(f, false, want);
        System.out.println(r.describe());
        assertEquals(6, r.unplaced().size(), r.describe());
        assertTrue(r.unplaced().contains(
                "unet.down_blocks.9.attentions.0.proj_in.lora_A.weight (no such Linear/Conv2d in unet)"));
        assertTrue(r.unplaced().contains("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight"
                + " (no text_encoder to apply it to)"));
        assertTrue(r.unplaced().contains("unet.conv_in.lora_A.weight (lora A and B must come together)"));
        assertTrue(r.unplaced().contains("optimizer_step (not a LoRA A/B/alpha tensor bkd knows)"));
        assertTrue(r.unplaced().contains("lora_unet_not_a_layer.lora_down.weight (no such Linear/Conv2d in unet)"));
        UNet2DConditionModel u = tiny.load();
        LoraFileException e = assertThrows(LoraFileException.class,
                () -> LoraLoader.load(f, Map.of("unet", u), "x", 1.0, true));
        assertTrue(e.getMessage().contains("extra.safetensors") && e.getMessage().contains("optimizer_step"),
                e.getMessage());
        assertEquals(6, e.report().unplaced().size());
        assertTrue(Lora.adapterNames(u).isEmpty(), "a refused file attaches nothing");
    }

    @Test
    void unusableTensorsFailNamingFileAndKey(@TempDir Path dir) throws Exception {
        UNet2DConditionModel u = tiny.load();
        String q = "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
        Path shape = dir.resolve("shape.safetensors");
        SafetensorsWriter.write(shape, Map.of(q + ".lora_A.weight", manager.ones(new Shape(4, 17)),
                q + ".lora_B.weight", manager.ones(new Shape(16, 4))));
        LoraFileException e = assertThrows(LoraFileException.class,
                () -> LoraLoader.load(shape, Map.of("unet", u), "x", 1.0, false));
        assertTrue(e.getMessage().contains("shape.safetensors") && e.getMessage().contains(q + ".lora_A.weight")
                && e.getMessage().contains("(4, 16)"), e.getMessage());
        Path rank = dir.resolve("rank.safetensors");
        SafetensorsWriter.write(rank, Map.of(q + ".lora_A.weight", manager.ones(new Shape(4, 16)),
                q + ".lora_B.weight", manager.ones(new Shape(16, 3))));
        e = assertThrows(LoraFileException.class, () -> LoraLoader.load(rank, Map.of("unet", u), "x", 1.0, false));
        assertTrue(e.getMessage().contains(q + ".lora_B.weight"), e.getMessage());
        Path dora = dir.resolve("dora.safetensors");
        SafetensorsWriter.write(dora, Map.of(q + ".lora_A.weight", manager.ones(new Shape(4, 16)),
                q + ".lora_B.weight", manager.ones(new Shape(16, 4)), q + ".lora_magnitude_vector",
                manager.ones(new Shape(16))));
        e = assertThrows(LoraFileException.class, () -> LoraLoader.load(dora, Map.of("unet", u), "x", 1.0, false));
        assertTrue(e.getMessage().contains("DoRA"), e.getMessage());
        Path none = dir.resolve("none.safetensors");
        SafetensorsWriter.write(none, Map.of("lora_unet_input_blocks_1_1_proj_in.lora_down.weight",
                manager.ones(new Shape(4, 16))));
        e = assertThrows(LoraFileException.class, () -> LoraLoader.load(none, Map.of("unet", u), "x", 1.0, false));
        assertTrue(e.getMessage().contains("no LoRA layer"), e.getMessage());
        Path bad = dir.resolve("bad.safetensors");
        SafetensorsWriter.write(bad, Map.of(q + ".lora_A.weight", manager.ones(new Shape(4, 16)),
                q + ".lora_B.weight", manager.ones(new Shape(16, 4))), Map.of("lora_adapter_metadata", "{oops"));
        e = assertThrows(LoraFileException.class, () -> LoraLoader.load(bad, Map.of("unet", u), "x", 1.0, false));
        assertTrue(e.getMessage().contains("bad.safetensors") && e.getMessage().contains("JSON"), e.getMessage());
        assertTrue(Lora.adapterNames(u).isEmpty());
        assertThrows(LoraFileException.class, () -> LoraLoader.load(dir.resolve("missing"), Map.of("unet", u), "x",
                1.0, false));
        Files.createDirectories(dir.resolve("empty"));
        assertThrows(LoraFileException.class, () -> LoraLoader.load(dir.resolve("empty"), Map.of("unet", u), "x",
                1.0, false));
        Files.write(dir.resolve("lora.bin"), new byte[] {1, 2, 3});
        assertThrows(dev.bkd.core.pickle.PickleException.class, () -> LoraLoader.load(dir.resolve("lora.bin"),
                Map.of("unet", u), "x", 1.0, false));
        LoraException taken = assertThrows(LoraException.class, () -> {
            Lora.add(u, "x", LoraConfig.unet(2, 2), new Generator(1));
            LoraLoader.load(shape, Map.of("unet", u), "x", 1.0, false);
        });
        assertTrue(taken.getMessage().contains("already"), taken.getMessage());
    }
}
