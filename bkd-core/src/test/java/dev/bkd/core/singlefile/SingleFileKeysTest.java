package dev.bkd.core.singlefile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules file against diffusers' own converter output (mapping.json) and the reference single files. */
class SingleFileKeysTest {
    private static final Map<String, String> FOLDER = Map.of("unet", "unet", "vae", "vae", "text_encoder", "text_encoder");

    private static JsonObject mapping(String set) throws IOException {
        return JsonParser.parseString(Files.readString(RefData.dataset("checkpoints").resolve(set + "/mapping.json")))
                .getAsJsonObject().getAsJsonObject("mapping");
    }

    @Test
    void everyDiffusersKeyMapsLikeTheConverterScript() throws IOException {
        check(mapping("sd1"), LdmComponent.TEXT_CLIP, 0);
        check(mapping("sd2"), LdmComponent.TEXT_OPENCLIP, 3);
    }

    private static void check(JsonObject mapping, LdmComponent text, int layers) {
        for (String comp : List.of("unet", "vae", "text_encoder")) {
            LdmComponent c = comp.equals("unet") ? LdmComponent.UNET : comp.equals("vae") ? LdmComponent.VAE : text;
            LdmKeyMap map = LdmKeyMap.of(c, layers);
            for (Map.Entry<String, com.google.gson.JsonElement> e : mapping.getAsJsonObject(comp).entrySet()) {
                JsonObject m = e.getValue().getAsJsonObject();
                String want = m.get("single_file_key").getAsString();
                LdmKeyMap.Target t = map.toFile(e.getKey()).orElseThrow(() -> new AssertionError("no map: " + e.getKey()));
                assertEquals(want, c.prefix() + t.key(), e.getKey());
                String op = m.get("op").getAsString();
                KeyOp.Kind kind = switch (op) {
                    case "copy" -> KeyOp.Kind.COPY;
                    case "reshape" -> KeyOp.Kind.RESHAPE_1X1;
                    default -> KeyOp.Kind.ROWS_OF_3;
                };
                assertEquals(kind, t.op().kind(), e.getKey());
                if (kind == KeyOp.Kind.ROWS_OF_3) {
                    int from = m.getAsJsonArray("rows").get(0).getAsInt();
                    int to = m.getAsJsonArray("rows").get(1).getAsInt();
                    assertEquals(from / (to - from), t.op().part(), e.getKey());
                }
                assertTrue(map.fromFile(t.key()).contains(new LdmKeyMap.Source(e.getKey(), t.op())), e.getKey());
            }
        }
    }

    @Test
    void sd1SingleFileViewsEqualTheReferenceFolderExactly() {
        Path ref = RefData.dataset("checkpoints");
        try (SingleFile f = SingleFile.open(ref.resolve("sd1/sd-tiny.safetensors"))) {
            assertEquals(java.util.Optional.of(LdmComponent.TEXT_CLIP), f.textEncoderKind());
            LdmComponentView unet = f.unet(false);
            LdmComponentView vae = f.vae();
            LdmComponentView text = f.textEncoder(2);
            assertViewEquals(unet, RefData.models().resolve("unet"), null);
            assertViewEquals(vae, RefData.models().resolve("vae"), null);
            assertViewEquals(text, RefData.models().resolve("text_encoder"), null);
            SingleFile.Accounting a = f.unaccounted(unet, vae, text);
            assertEquals(965, a.placed());
            assertEquals(List.of(), a.unexpected());
            assertEquals(List.of(), a.ignored());
        }
    }

    @Test
    void sd2OpenClipKeysSplitIntoQkvExactly() {
        Path ref = RefData.dataset("checkpoints");
        try (SingleFile f = SingleFile.open(ref.resolve("sd2/sd2-tiny.safetensors"))) {
            assertEquals(java.util.Optional.of(LdmComponent.TEXT_OPENCLIP), f.textEncoderKind());
            LdmComponentView text = f.textEncoder(3);
            assertViewEquals(text, ref.resolve("sd2-tiny/text_encoder"), null);
            assertViewEquals(f.unet(false), ref.resolve("sd2-tiny/unet"), null);
            // a tower read with fewer layers leaves the rest as SD2's unused blocks: ignored, not unexpected
            LdmComponentView two = f.textEncoder(2);
            SingleFile.Accounting a = f.unaccounted(f.unet(false), f.vae(), two);
            assertEquals(List.of(), a.unexpected());
            assertEquals(12, a.ignored().size(), a.ignored().toString());
            assertTrue(a.ignored().stream().allMatch(k -> k.contains("resblocks.2.")), a.ignored().toString());
        }
    }

    @Test
    void ckptGivesTheFp16RoundedWeights() {
        Path ref = RefData.dataset("checkpoints");
        try (SingleFile f = SingleFile.open(ref.resolve("ckpt/sd-tiny-fp16.ckpt"))) {
            assertViewEquals(f.unet(false), RefData.models().resolve("unet"), DataType.FLOAT16);
            assertViewEquals(f.vae(), RefData.models().resolve("vae"), DataType.FLOAT16);
        }
    }

    @Test
    void standaloneVaeFileLoadsWithoutPrefix() {
        Path ref = RefData.dataset("checkpoints");
        try (SingleFile f = SingleFile.open(ref.resolve("vae/vae-tiny-perturbed.safetensors"));
                StateDict sd = StateDicts.open(ref.resolve("sd1/sd-tiny.safetensors"))) {
            LdmComponentView vae = f.vae();
            assertEquals(244, vae.keys().size());
            assertEquals(List.of(), f.unaccounted(vae).unexpected());
        }
    }

    @Test
    void emaWeightsAreReadOnlyWhenAskedFor(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path ref = RefData.dataset("checkpoints");
        Path withEma = dir.resolve("ema.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> all = new java.util.LinkedHashMap<>(RefData.load(ref.resolve("sd1/sd-tiny.safetensors"), m));
            String unet = "model.diffusion_model.";
            for (String k : List.copyOf(all.keySet())) {
                if (k.startsWith(unet)) {
                    // LDM's EMA naming: model_ema. + the key after "model." with its dots removed
                    all.put("model_ema." + k.substring("model.".length()).replace(".", ""), all.get(k).add(1f));
                }
            }
            all.put("model_ema.decay", m.create(0.9999f));
            all.put("model_ema.num_updates", m.create(10));
            all.put("alphas_cumprod", m.ones(new ai.djl.ndarray.types.Shape(1000)));
            dev.bkd.core.safetensors.SafetensorsWriter.write(withEma, all);
            String k = "conv_in.weight";
            String file = unet + "input_blocks.0.0.weight";
            try (SingleFile f = SingleFile.open(withEma)) {
                org.junit.jupiter.api.Assertions.assertTrue(f.hasEma());
                LdmComponentView plain = f.unet(false);
                LdmComponentView ema = f.unet(true);
                assertArrayEquals(all.get(file).toFloatArray(), plain.load(k, m).toFloatArray());
                assertArrayEquals(all.get(file).add(1f).toFloatArray(), ema.load(k, m).toFloatArray());
                SingleFile.Accounting a = f.unaccounted(plain, f.vae(), f.textEncoder(2));
                assertEquals(List.of(), a.unexpected());
                assertEquals(684 + 3, a.ignored().size(), "EMA copy, its bookkeeping and the schedule buffer");
                SingleFile.Accounting b = f.unaccounted(ema, f.vae(), f.textEncoder(2));
                assertEquals(List.of(), b.unexpected());
                assertEquals(2 + 1, b.ignored().size(), "the non-EMA weights were enumerated, not ignored");
            }
        }
    }

    /** Same keys as the folder's weights (position_ids aside), same shapes, same bytes (after {@code round}). */
    static void assertViewEquals(StateDict view, Path folder, DataType round) {
        try (StateDict want = StateDicts.open(folder); NDManager m = NDManager.newBaseManager()) {
            Set<String> wantKeys = new HashSet<>(want.keys());
            assertEquals(wantKeys, new HashSet<>(view.keys()), folder.toString());
            for (String k : want.keys()) {
                try (NDManager s = m.newSubManager()) {
                    NDArray w = want.load(k, s);
                    NDArray got = view.load(k, s);
                    assertEquals(w.getShape(), got.getShape(), k);
                    assertEquals(w.getShape(), view.spec(k).shape(), k);
                    if (round != null && w.getDataType() == DataType.FLOAT32) {
                        w = w.toType(round, false);
                    }
                    assertArrayEquals(w.toByteArray(), got.toByteArray(), k);
                }
            }
        }
    }
}
