package dev.bkd.models.clip;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.WeightLoadException;
import dev.bkd.core.weights.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CLIPTextModel against transformers 5.17 outputs in ref/clip_text.safetensors. */
class ClipTextModelTest {
    static final double TOL = 1e-4;
    static NDManager manager;
    static ClipTextConfig config;
    static Map<String, NDArray> weights;
    static Map<String, NDArray> ref;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        config = ClipTextConfig.read(RefData.models().resolve("text_encoder/config.json"));
        weights = RefData.load(RefData.models().resolve("text_encoder/model.safetensors"), manager);
        ref = RefData.load(RefData.ref("clip_text.safetensors"), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static ClipTextModel model(Map<String, NDArray> w) {
        return ClipTextModel.fromStateDict(config, StateDict.of(w), manager, Weights.LoadOptions.strictFp32());
    }

    static void assertClose(String name, NDArray expected, NDArray actual) {
        double err = RefData.maxAbsDiff(expected, actual);
        System.out.printf("clip %-28s max abs err %.3e%n", name, err);
        assertTrue(err <= TOL, name + ": max abs err " + err);
    }

    @Test
    void paddedBatchMatchesTransformers() {
        try (NDManager scope = manager.newSubManager()) {
            ClipTextOutput out = model(weights).forward(ref.get("input_ids"));
            assertClose("last_hidden_state", ref.get("last_hidden_state"), out.lastHiddenState());
            assertClose("pooler_output", ref.get("pooler_output"), out.pooledOutput());
            assertEquals(3, out.hiddenStates().size());
            for (int i = 0; i < 3; i++) {
                assertClose("hidden_states." + i, ref.get("hidden_states." + i), out.hiddenStates().get(i));
            }
        }
    }

    @Test
    void shortUnpaddedInputMatchesTransformers() {
        ClipTextOutput out = model(weights).forward(ref.get("short.input_ids"));
        assertClose("short.last_hidden_state", ref.get("short.last_hidden_state"), out.lastHiddenState());
        assertClose("short.pooler_output", ref.get("short.pooler_output"), out.pooledOutput());
    }

    @Test
    void int32IdsGiveTheSameResult() {
        ClipTextOutput out = model(weights).forward(ref.get("short.input_ids").toType(DataType.INT32, false));
        assertClose("short.last_hidden_state(i32)", ref.get("short.last_hidden_state"), out.lastHiddenState());
    }

    @Test
    void keysWithoutTextModelPrefixLoad() {
        Map<String, NDArray> bare = new LinkedHashMap<>();
        weights.forEach((k, v) -> bare.put(k.substring("text_model.".length()), v));
        assertFalse(bare.keySet().stream().anyMatch(k -> k.startsWith("text_model.")));
        ClipTextOutput out = model(bare).forward(ref.get("input_ids"));
        assertClose("unprefixed last_hidden_state", ref.get("last_hidden_state"), out.lastHiddenState());
    }

    @Test
    void fp16WeightsLoadAsRequestedDtype() {
        Map<String, NDArray> half = new LinkedHashMap<>();
        Map<String, NDArray> widened = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            NDArray h = v.getDataType() == DataType.FLOAT32 ? v.toType(DataType.FLOAT16, false) : v;
            half.put(k, h);
            widened.put(k, h.getDataType() == DataType.FLOAT16 ? h.toType(DataType.FLOAT32, false) : h);
        });
        ClipTextModel m = model(half);
        Map<String, NDArray> loaded = Weights.stateDict(m);
        assertEquals(weights.size() - 1, loaded.size()); // all but position_ids
        loaded.forEach((k, v) -> {
            assertEquals(DataType.FLOAT32, v.getDataType(), k);
            assertArrayEquals(widened.get(k).toFloatArray(), v.toFloatArray(), k);
        });
        // fp16-rounded weights move outputs by ~1e-3, so the check is against the same rounded weights in fp32
        NDArray fromHalf = m.forward(ref.get("input_ids")).lastHiddenState();
        NDArray fromWidened = model(widened).forward(ref.get("input_ids")).lastHiddenState();
        assertEquals(0.0, RefData.maxAbsDiff(fromWidened, fromHalf));
        System.out.printf("clip fp16-weights vs fp32 reference: max abs err %.3e (fp16 rounding, not asserted)%n",
                RefData.maxAbsDiff(ref.get("last_hidden_state"), fromHalf));
    }

    @Test
    void modernEosConfigPoolsAtTheFirstEndOfText() {
        ClipTextConfig modern = new ClipTextConfig(config.vocabSize(), config.hiddenSize(), config.intermediateSize(),
                config.projectionDim(), config.numHiddenLayers(), config.numAttentionHeads(),
                config.maxPositionEmbeddings(), config.hiddenAct(), config.layerNormEps(), config.attentionDropout(),
                config.initializerRange(), config.initializerFactor(), config.padTokenId(), 49406, 49407, null);
        ClipTextModel m = ClipTextModel.fromStateDict(modern, StateDict.of(weights), manager,
                Weights.LoadOptions.strictFp32());
        assertClose("pooler_output(eos 49407)", ref.get("pooler_output"), m.forward(ref.get("input_ids")).pooledOutput());
    }

    /**
     * Causal attention makes a prefix's outputs the prefix of the full outputs, so the reference
     * last_hidden_state gives expected values for truncated inputs. Row 1 ("" prompt) cut to 5 tokens
     * still holds 49407, row 0 cut to 5 does not: not every row's max id is 49407, so transformers pools
     * every row at the first config eos_token_id (2), absent here, i.e. position 0.
     */
    @Test
    void truncatedBatchWithoutEndOfTextPoolsLikeTransformers() {
        NDArray ids = ref.get("input_ids").get(new NDIndex(":, :5"));
        ClipTextOutput out = model(weights).forward(ids);
        NDArray expectedLast = ref.get("last_hidden_state").get(new NDIndex(":, :5, :"));
        assertClose("prefix5.last_hidden_state", expectedLast, out.lastHiddenState());
        assertClose("prefix5.pooler_output", ref.get("last_hidden_state").get(new NDIndex(":, 0, :")),
                out.pooledOutput());
        // alone, row 1 has max id 49407: the legacy argmax rule pools its first 49407 (position 1)
        ClipTextOutput row1 = model(weights).forward(ids.get(new NDIndex("1:2, :")));
        assertClose("prefix5.row1.pooler_output", ref.get("last_hidden_state").get(new NDIndex("1:2, 1, :")),
                row1.pooledOutput());
    }

    @Test
    void badInputsGiveSpecificErrors() {
        ClipTextModel m = model(weights);
        BkdException tooLong = assertThrows(BkdException.class, () -> m.forward(manager.zeros(new Shape(1, 78), DataType.INT64)));
        assertTrue(tooLong.getMessage().contains("78 tokens") && tooLong.getMessage().contains("max_position_embeddings is 77"),
                tooLong.getMessage());
        NDArray outside = manager.create(new long[] {49406, 49408}).reshape(1, 2);
        BkdException vocab = assertThrows(BkdException.class, () -> m.forward(outside));
        assertTrue(vocab.getMessage().contains("input_ids[0][1] = 49408") && vocab.getMessage().contains("vocab_size 49408"),
                vocab.getMessage());
        BkdException rank = assertThrows(BkdException.class, () -> m.forward(manager.zeros(new Shape(77), DataType.INT64)));
        assertTrue(rank.getMessage().contains("(batch, tokens)"), rank.getMessage());
        BkdException floats = assertThrows(BkdException.class, () -> m.forward(manager.zeros(new Shape(1, 3))));
        assertTrue(floats.getMessage().contains("token ids"), floats.getMessage());
    }

    @Test
    void wrongWeightsAreReportedTogether() {
        Map<String, NDArray> w = new LinkedHashMap<>(weights);
        w.remove("text_model.final_layer_norm.bias");
        w.put("text_model.encoder.layers.1.mlp.fc1.weight", manager.zeros(new Shape(36, 32)));
        w.put("text_projection.weight", manager.zeros(new Shape(32, 32)));
        WeightLoadException e = assertThrows(WeightLoadException.class,
                () -> ClipTextModel.fromStateDict(config, StateDict.of(w), manager, Weights.LoadOptions.strictFp32(),
                        "text_encoder/model.safetensors"));
        String msg = e.getMessage();
        assertTrue(msg.contains("text_encoder/model.safetensors"), msg);
        assertTrue(msg.contains("text_model.final_layer_norm.bias"), msg);
        assertTrue(msg.contains("text_model.encoder.layers.1.mlp.fc1.weight: weights have (36, 32), the model needs (37, 32)"), msg);
        assertTrue(msg.contains("text_projection.weight"), msg);
        assertFalse(msg.contains("position_ids"), msg);
    }

    @Test
    void bothNamingSchemesAtOnceIsAnError() {
        Map<String, NDArray> bare = new LinkedHashMap<>();
        weights.forEach((k, v) -> bare.put(k.substring("text_model.".length()), v));
        bare.put("embeddings.token_embedding.weight", weights.get("text_model.embeddings.token_embedding.weight"));
        // unprefixed keys only: loads; adding one prefixed duplicate switches to prefixed mode and reports the rest
        Map<String, NDArray> mixed = new LinkedHashMap<>(bare);
        mixed.put("text_model.final_layer_norm.weight", weights.get("text_model.final_layer_norm.weight"));
        WeightLoadException e = assertThrows(WeightLoadException.class, () -> model(mixed));
        assertTrue(e.getMessage().contains("Unexpected key(s)"), e.getMessage());
    }

    @Test
    void fromPretrainedReadsTheReferenceFolder() {
        ClipTextModel m = ClipTextModel.fromPretrained(RefData.models().resolve("text_encoder"), manager,
                Weights.LoadOptions.strictFp32());
        assertEquals(config, m.config());
        assertClose("fromPretrained last_hidden_state", ref.get("last_hidden_state"),
                m.forward(ref.get("input_ids")).lastHiddenState());
    }

    @Test
    void saveThenLoadGivesTheSameOutputs(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("text_encoder");
        model(weights).save(dir);
        assertTrue(Files.isRegularFile(dir.resolve("config.json")));
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        ClipTextModel back = ClipTextModel.fromPretrained(dir, manager, Weights.LoadOptions.strictFp32());
        assertClose("saved+reloaded last_hidden_state", ref.get("last_hidden_state"),
                back.forward(ref.get("input_ids")).lastHiddenState());
        // the written file holds exactly the reference tensors (bar the non-persistent position_ids)
        Map<String, NDArray> written = RefData.load(dir.resolve("model.safetensors"), manager);
        assertEquals(weights.size() - 1, written.size());
        written.forEach((k, v) -> assertEquals(0.0, RefData.maxAbsDiff(weights.get(k), v), k));
    }

    @Test
    void fp16VariantFileLoadsAsFloat32(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("text_encoder");
        ClipTextModel.fromStateDict(config, StateDict.of(weights), manager,
                Weights.LoadOptions.strictFp32().withDtype(DataType.FLOAT16)).save(dir);
        Files.move(dir.resolve("model.safetensors"), dir.resolve("model.fp16.safetensors"));
        ClipTextModel m = ClipTextModel.fromPretrained(dir, "fp16", manager, Weights.LoadOptions.strictFp32());
        Weights.stateDict(m).forEach((k, v) -> {
            assertEquals(DataType.FLOAT32, v.getDataType(), k);
            NDArray rounded = weights.get(k).toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false);
            assertArrayEquals(rounded.toFloatArray(), v.toFloatArray(), k);
        });
    }

    /** Temporaries are freed: the caller's manager keeps its ids and the outputs only. */
    @Test
    void forwardLeavesOnlyItsOutputs() {
        ClipTextModel m = model(weights);
        for (DataType dt : new DataType[] {DataType.INT64, DataType.INT32}) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray ids = ref.get("input_ids").toType(dt, true);
                ids.attach(scope);
                ClipTextOutput out = m.forward(ids);
                // ids, last_hidden_state, pooler_output, 3 hidden states
                assertEquals(6, scope.getManagedArrays().size(), dt + ": " + scope.getManagedArrays());
                assertClose("last_hidden_state(" + dt + ")", ref.get("last_hidden_state"), out.lastHiddenState());
            }
        }
    }
}
