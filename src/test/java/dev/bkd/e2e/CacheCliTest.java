package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.testing.RefData;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bkd cache build/merge} against the cache {@code bkd distill --cache-latents} writes on the tiny teacher. */
class CacheCliTest {
    static final List<String> SAME = List.of("--resolution", "32", "--center-crop", "--seed", "1", "--batch", "2");

    static String[] build(Path data, Path cache, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("cache", "build", "--model", RefData.models().toString(),
                "--data", data.toString(), "--out", cache.toString()));
        a.addAll(SAME);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static Map<String, byte[]> files(Path dir) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    static void assertSameFolder(Path want, Path got) throws Exception {
        Map<String, byte[]> a = files(want);
        Map<String, byte[]> b = files(got);
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), k + " differs");
        }
    }

    /** Packs the shapes folder into 00000.tar (items 0-2) and 00001.tar (3-4) with GNU tar: key.png + key.json. */
    static Path webdataset(Path shapes, Path out) throws Exception {
        Path src = Files.createDirectories(out.resolve("src"));
        List<String> rows = Files.readAllLines(shapes.resolve("metadata.jsonl"));
        List<List<String>> members = List.of(new java.util.ArrayList<>(), new java.util.ArrayList<>());
        for (int i = 0; i < rows.size(); i++) {
            String key = String.format("%09d", i);
            String file = new com.fasterxml.jackson.databind.ObjectMapper().readTree(rows.get(i)).get("file_name").asText();
            Files.copy(shapes.resolve(file), src.resolve(key + ".png"));
            Files.writeString(src.resolve(key + ".json"), rows.get(i));
            members.get(i < 3 ? 0 : 1).addAll(List.of(key + ".png", key + ".json"));
        }
        for (int s = 0; s < 2; s++) {
            List<String> cmd = new java.util.ArrayList<>(List.of("tar", "-cf",
                    out.resolve(String.format("%05d.tar", s)).toString(), "-C", src.toString()));
            cmd.addAll(members.get(s));
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (java.io.IOException noTar) {
                org.junit.jupiter.api.Assumptions.abort("no tar command: " + noTar.getMessage());
                throw noTar;
            }
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), log);
        }
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(src);
        return out;
    }

    @Test
    void slicesAndMergeGiveTheCacheDistillWrites(@TempDir Path tmp) throws Exception {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 5, 40, 5);
        Path distilled = tmp.resolve("distill-cache");
        List<String> d = new java.util.ArrayList<>(List.of("distill", "--teacher", RefData.models().toString(),
                "--variant", "tiny", "--data", data.toString(), "--out", tmp.resolve("run").toString(),
                "--steps", "1", "--cache-latents", distilled.toString()));
        d.addAll(SAME);
        Cli run = Cli.run(d.toArray(String[]::new));
        assertEquals(0, run.code(), run.err());

        Path sliced = tmp.resolve("sliced");
        Cli early = Cli.run("cache", "merge", sliced.toString());
        assertEquals(1, early.code());
        assertTrue(early.err().contains("no cache-slice-*.json here"), early.err());
        assertFalse(early.err().contains("\tat "), "one line without --verbose");
        Cli verbose = Cli.run("cache", "merge", sliced.toString(), "--verbose");
        assertTrue(verbose.err().contains("\tat dev.bkd.train.cache.CacheSlices.merge"), verbose.err());
        for (String s : List.of("1/2", "0/2")) {
            Cli r = Cli.run(build(data, sliced, "--shards", s));
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("slice " + s + " done"), r.out());
        }
        Cli merged = Cli.run("cache", "merge", sliced.toString());
        assertEquals(0, merged.code(), merged.err());
        assertTrue(merged.out().contains("1 shards, 5 items"), merged.out());
        assertSameFolder(distilled, sliced);

        Path single = tmp.resolve("single");
        Cli one = Cli.run(build(data, single));
        assertEquals(0, one.code(), one.err());
        assertSameFolder(distilled, single);

        // the same images as img2dataset-style webdataset shards: the cache holds the same tensors, and trains
        Path shards = webdataset(data, tmp.resolve("shards"));
        Path fromTars = tmp.resolve("from-tars");
        Cli tars = Cli.run(build(shards.resolve("{00000..00001}.tar"), fromTars));
        assertEquals(0, tars.code(), tars.err());
        assertArrayEquals(Files.readAllBytes(distilled.resolve("shard-00000.safetensors")),
                Files.readAllBytes(fromTars.resolve("shard-00000.safetensors")), "same items, pixels and captions");
        Cli ft = Cli.run("finetune", "--model", RefData.models().toString(), "--data", shards.toString(), "--out",
                tmp.resolve("ft").toString(), "--steps", "1", "--batch", "2", "--resolution", "32", "--checkpoint-every",
                "0");
        assertEquals(0, ft.code(), ft.err());

        Cli bad = Cli.run(build(data, tmp.resolve("x"), "--shards", "2/2"));
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().contains("slice 2/2: want I/N with N >= 1 and 0 <= I < N"), bad.err());
        String[] otherSeed = build(data, sliced, "--shards", "0/2");
        otherSeed[List.of(otherSeed).indexOf("--seed") + 1] = "2";
        Cli other = Cli.run(otherSeed);
        assertEquals(1, other.code(), other.err());
        assertTrue(other.err().contains("seed: cached 1, now 2"), other.err());
    }
}
