package dev.bkd.core.lora;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.random.Generator;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.testing.LoraRef;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA on the tiny reference UNet: step 0, a plain UNet with merged weights, fuse/unfuse, save/load. */
class LoraUNetTest {
    static final double TOL = 1e-5;
    static final List<String> TARGETS = TinyUNet.TARGETS;
    static TinyUNet tiny;
    static NDManager manager;

    @BeforeAll
    static void load() {
        tiny = new TinyUNet();
        manager = tiny.manager;
    }

    @AfterAll
    static void free() {
        tiny.close();
    }

    static UNet2DConditionModel unet() {
        return tiny.load();
    }

    static NDArray run(UNet2DConditionModel u) {
        return tiny.run(u);
    }

    @Test
    void stepZeroIsBaseAndARandomAdapterEqualsAPlainUNetWithMergedWeights() {
        UNet2DConditionModel u = unet();
        NDArray base = run(u);
        LoraAdapter ad = Lora.add(u, "default", new LoraConfig(4, 8, TARGETS), new Generator(1));
        // 16 Transformer2DModels (3 down x 2, mid 1, 3 up x 3), each: 2 attentions x 4 + ff.net.0.proj + proj_in/out
        assertEquals(16 * 11, ad.layers().size());
        assertTrue(ad.layers().containsKey("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"));
        assertTrue(ad.layers().containsKey("mid_block.attentions.0.proj_in"));
        assertEquals(0.0, RefData.maxAbsDiff(base, run(u)), "B = 0: exactly the base UNet");

        LoraRef.randomize(ad, new Generator(2), 0.05);
        NDArray lora = run(u);
        double moved = RefData.maxAbsDiff(base, lora);
        UNet2DConditionConfig config = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
        UNet2DConditionModel plain = UNet2DConditionModel.fromStateDict(config,
                StateDict.of(LoraRef.mergedStateDict(u, Map.of(ad, 8.0 / 4), manager)), manager,
                UNet2DConditionModel.Options.defaults());
        double d = RefData.maxAbsDiff(run(plain), lora);
        System.out.printf("UNet LoRA r4 a8 on %d layers: moves output by %.3g; vs plain UNet with W+s·BA %.3g%n",
                ad.layers().size(), moved, d);
        assertTrue(moved > 1e-2, "the adapter changes the output");
        assertTrue(d <= TOL, "LoRA UNet vs merged-weight UNet: " + d);
    }

    @Test
    void fusedEqualsUnfusedAndUnfuseRestoresEveryBaseWeightBitForBit() {
        UNet2DConditionModel u = unet();
        Map<String, int[]> before = bits(u);
        LoraAdapter a = Lora.add(u, "a", new LoraConfig(4, 8, TARGETS), new Generator(1));
        LoraAdapter b = Lora.add(u, "b", LoraConfig.unet(2, 1), new Generator(3));
        LoraRef.randomize(a, new Generator(2), 0.05);
        LoraRef.randomize(b, new Generator(4), 0.05);
        b.setScale(0.7);
        NDArray unfused = run(u);
        Lora.fuse(u, 1.0);
        double d = RefData.maxAbsDiff(unfused, run(u));
        System.out.printf("UNet two adapters fused vs unfused: %.3g%n", d);
        assertTrue(d <= TOL, "fused vs unfused " + d);
        Lora.unfuse(u);
        Map<String, int[]> after = bits(u);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k + " after unfuse"));
        assertEquals(0.0, RefData.maxAbsDiff(unfused, run(u)), "unfused again: same output as before fusing");
    }

    static Map<String, int[]> bits(UNet2DConditionModel u) {
        Map<String, int[]> out = new java.util.LinkedHashMap<>();
        Weights.stateDict(u).forEach((k, v) -> out.put(k, LoraLayerTest.bits(v.toFloatArray())));
        return out;
    }

    @Test
    void saveThenLoadReproducesTheOutputExactly(@TempDir Path dir) {
        UNet2DConditionModel u = unet();
        LoraAdapter ad = Lora.add(u, "default", new LoraConfig(4, 8, TARGETS), new Generator(1));
        LoraRef.randomize(ad, new Generator(2), 0.05);
        NDArray want = run(u);
        Path file = LoraFiles.save(dir, Map.of(LoraFiles.UNET, ad));
        assertEquals(dir.resolve("pytorch_lora_weights.safetensors"), file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(2 * 176, f.names().size());
            assertTrue(f.contains("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight"));
            assertTrue(f.contains("unet.up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj.lora_B.weight"));
            assertEquals("pt", f.metadata().get("format"));
            String meta = f.metadata().get("lora_adapter_metadata");
            assertTrue(meta.contains("\"unet.r\" : 4") && meta.contains("\"unet.lora_alpha\" : 8"), meta);
            assertTrue(meta.contains("\"unet.rank_pattern\" : { }") && meta.contains("\"unet.alpha_pattern\" : { }"));
        }
        UNet2DConditionModel fresh = unet();
        LoraLoadReport r = LoraLoader.load(dir, Map.of("unet", fresh), "mine", 1.0, true);
        assertTrue(r.clean());
        assertEquals(Map.of("unet", 176), r.layers());
        assertEquals(java.util.Set.of(LoraFormat.PEFT), r.formats());
        assertEquals(0.0, RefData.maxAbsDiff(want, run(fresh)), "save -> load gives the very same output");
        assertEquals(8.0, Lora.adapter(fresh, "mine").layers().values().iterator().next().alpha());
        // a load scale multiplies the update: 0 gives the base model back
        UNet2DConditionModel off = unet();
        NDArray base = run(off);
        LoraLoader.load(file, Map.of("unet", off), "zero", 0.0, true);
        assertEquals(0.0, RefData.maxAbsDiff(base, run(off)));
        List<String> names = new ArrayList<>(Lora.adapterNames(off));
        assertEquals(List.of("zero"), names);
    }
}
