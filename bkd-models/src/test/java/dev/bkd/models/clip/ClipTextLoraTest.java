package dev.bkd.models.clip;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.lora.LoraFormat;
import dev.bkd.core.lora.LoraLoadReport;
import dev.bkd.core.lora.LoraLoader;
import dev.bkd.core.random.Generator;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.testing.LoraRef;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text-encoder LoRA on the tiny CLIP: step 0, merged-weight equivalence, fuse, PEFT and kohya files. */
class ClipTextLoraTest {
    static NDManager manager;
    static ClipTextConfig config;
    static NDArray ids;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        config = ClipTextConfig.read(RefData.models().resolve("text_encoder/config.json"));
        ids = RefData.load(RefData.ref("clip_text.safetensors"), manager).get("input_ids");
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    static ClipTextModel model() {
        return ClipTextModel.fromPretrained(RefData.models().resolve("text_encoder"), manager,
                Weights.LoadOptions.strictFp32());
    }

    static NDArray run(ClipTextModel m) {
        return m.forward(ids).lastHiddenState();
    }

    @Test
    void clipLoraEqualsMergedWeightsAndRoundTripsThroughPeftAndKohyaFiles(@TempDir Path dir) {
        ClipTextModel te = model();
        NDArray base = run(te);
        LoraAdapter ad = Lora.add(te, "default", LoraConfig.textEncoder(4, 2), new Generator(1));
        assertEquals(2 * 4, ad.layers().size());
        assertTrue(ad.layers().containsKey("text_model.encoder.layers.1.self_attn.out_proj"));
        assertEquals(0.0, RefData.maxAbsDiff(base, run(te)), "B = 0: the base encoder");

        LoraRef.randomize(ad, new Generator(2), 0.2);
        NDArray lora = run(te);
        ClipTextModel plain = ClipTextModel.fromStateDict(config,
                StateDict.of(LoraRef.mergedStateDict(te, Map.of(ad, 2.0 / 4), manager)), manager,
                Weights.LoadOptions.strictFp32());
        double moved = RefData.maxAbsDiff(base, lora);
        double d = RefData.maxAbsDiff(run(plain), lora);
        Lora.fuse(te, 1.0);
        double fused = RefData.maxAbsDiff(lora, run(te));
        Lora.unfuse(te);
        System.out.printf("CLIP LoRA r4 a2: moves %.3g; vs plain CLIP with W+s·BA %.3g; fused vs unfused %.3g%n",
                moved, d, fused);
        assertTrue(moved > 1e-2);
        assertTrue(d <= 1e-5 && fused <= 1e-5, d + " " + fused);

        Path file = LoraFiles.save(dir, Map.of(LoraFiles.TEXT_ENCODER, ad));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertTrue(f.contains("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight"));
            assertTrue(f.metadata().get("lora_adapter_metadata").contains("\"text_encoder.lora_alpha\" : 2"));
        }
        ClipTextModel fromPeft = model();
        LoraLoadReport rp = LoraLoader.load(file, Map.of("text_encoder", fromPeft), "a", 1.0, true);
        assertEquals(0.0, RefData.maxAbsDiff(lora, run(fromPeft)));
        assertEquals(Map.of("text_encoder", 8), rp.layers());

        Map<String, NDArray> kohya = new LinkedHashMap<>();
        ad.layers().forEach((path, w) -> {
            String k = "lora_te_" + path.replace('.', '_');
            kohya.put(k + ".lora_down.weight", w.loraA());
            kohya.put(k + ".lora_up.weight", w.loraB());
            kohya.put(k + ".alpha", manager.create(2f));
        });
        assertTrue(kohya.containsKey("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight"));
        Path k = dir.resolve("kohya.safetensors");
        SafetensorsWriter.write(k, kohya);
        ClipTextModel fromKohya = model();
        LoraLoadReport rk = LoraLoader.load(k, Map.of("text_encoder", fromKohya), "k", 1.0, true);
        assertEquals(Set.of(LoraFormat.KOHYA), rk.formats());
        assertEquals(0.0, RefData.maxAbsDiff(lora, run(fromKohya)));
    }
}
