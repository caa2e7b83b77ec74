package dev.bkd.core.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.safetensors.SafetensorsEntry;
import dev.bkd.core.safetensors.SafetensorsException;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reference UNet split into 3 shards with a diffusers-style index, then read back through StateDicts. */
class ShardedCheckpointTest {
    private static final Path UNET = RefData.models().resolve("unet/diffusion_pytorch_model.safetensors");
    private static final int SHARDS = 3;

    @TempDir
    Path dir;
    private Path index;
    private Map<String, String> weightMap;

    private static String shardName(int i) {
        return String.format("diffusion_pytorch_model-%05d-of-%05d.safetensors", i + 1, SHARDS);
    }

    @BeforeEach
    void shard() throws IOException {
        weightMap = new TreeMap<>(); // save_pretrained writes weight_map sorted by name
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile src = SafetensorsFile.open(UNET)) {
            List<Map<String, NDArray>> parts = new ArrayList<>();
            for (int i = 0; i < SHARDS; i++) {
                parts.add(new LinkedHashMap<>());
            }
            int k = 0;
            for (SafetensorsEntry e : src.entries()) {
                int s = k++ * SHARDS / src.entries().size();
                parts.get(s).put(e.name(), src.load(e.name(), m));
                weightMap.put(e.name(), shardName(s));
            }
            for (int i = 0; i < SHARDS; i++) {
                SafetensorsWriter.write(dir.resolve(shardName(i)), parts.get(i));
            }
        }
        index = dir.resolve("diffusion_pytorch_model.safetensors.index.json");
        writeIndex(index, weightMap);
    }

    private static void writeIndex(Path file, Map<String, String> map) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("metadata", Map.of("total_size", 3_000_000));
        json.put("weight_map", map);
        Files.writeString(file, dev.bkd.core.config.ConfigReader.MAPPER.writeValueAsString(json));
    }

    @Test
    void shardedStateDictEqualsTheSingleFile() {
        try (StateDict sharded = StateDicts.open(index); StateDict single = StateDicts.open(UNET);
             NDManager m = NDManager.newBaseManager()) {
            assertTrue(sharded instanceof ShardedStateDict);
            assertEquals(List.copyOf(weightMap.keySet()), List.copyOf(sharded.keys()), "weight_map order");
            assertEquals(single.keys().size(), sharded.keys().size());
            assertEquals(SHARDS, ((ShardedStateDict) sharded).index().shards().size());
            for (String key : single.keys()) {
                assertEquals(single.spec(key), sharded.spec(key), key);
                try (NDManager sub = m.newSubManager()) {
                    assertArrayEquals(single.load(key, sub).toByteArray(), sharded.load(key, sub).toByteArray(), key);
                }
            }
            System.out.println("sharded == single for " + single.keys().size() + " tensors in " + SHARDS + " shards");
        }
    }

    @Test
    void folderWithOnlyAnIndexResolvesToIt() {
        try (StateDict sd = StateDicts.open(dir)) {
            assertTrue(sd instanceof ShardedStateDict, sd.toString());
        }
    }

    private void rejects(Map<String, String> map, String phrase) throws IOException {
        writeIndex(index, map);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> StateDicts.open(index));
        System.out.println("rejected: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(phrase), "expected '" + phrase + "' in " + e.getMessage());
    }

    @Test
    void rejectsBrokenIndexes() throws IOException {
        Map<String, String> missingShard = new TreeMap<>(weightMap);
        missingShard.put("conv_in.bias", "diffusion_pytorch_model-00009-of-00009.safetensors");
        rejects(missingShard, "names shard 'diffusion_pytorch_model-00009-of-00009.safetensors', which does not exist");

        Map<String, String> wrongShard = new TreeMap<>(weightMap);
        String last = shardName(SHARDS - 1);
        String inFirst = weightMap.entrySet().stream().filter(e -> e.getValue().equals(shardName(0)))
                .findFirst().orElseThrow().getKey();
        wrongShard.put(inFirst, last);
        rejects(wrongShard, "weight_map puts tensor '" + inFirst + "' in " + last + ", but that shard has no such tensor");

        Map<String, String> escape = new TreeMap<>(weightMap);
        escape.put("conv_in.bias", "../elsewhere.safetensors");
        rejects(escape, "outside the index's folder");

        Map<String, String> pickle = new TreeMap<>(weightMap);
        pickle.put("conv_in.bias", "pytorch_model-00001-of-00002.bin");
        rejects(pickle, "which is not a .safetensors file");

        rejects(Map.of(), "weight_map is empty");

        Files.writeString(index, "{\"metadata\": {}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> StateDicts.open(index));
        assertTrue(e.getMessage().contains("has no weight_map object"), e.getMessage());

        Files.writeString(index, "{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"y.safetensors\"}}");
        e = assertThrows(SafetensorsException.class, () -> StateDicts.open(index));
        assertTrue(e.getMessage().contains("Duplicate field 'a'"), e.getMessage());

        Files.writeString(index, "{\"weight_map\": {\"a\": 3}}");
        e = assertThrows(SafetensorsException.class, () -> StateDicts.open(index));
        assertTrue(e.getMessage().contains("weight_map entry 'a' must name a shard file"), e.getMessage());
    }
}
