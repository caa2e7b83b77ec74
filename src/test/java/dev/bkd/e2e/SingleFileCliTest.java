package dev.bkd.e2e;

import dev.bkd.core.testing.ZipEntries;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The community-checkpoint commands of the README, against the checkpoints reference set. */
class SingleFileCliTest {
    @TempDir
    static Path tmp;
    private static Path ref;
    private static String savedCache;

    @BeforeAll
    static void cacheInTemp() {
        ref = RefData.dataset("checkpoints");
        savedCache = System.getProperty("bkd.cache.dir");
        System.setProperty("bkd.cache.dir", tmp.resolve("cache").toString());
    }

    @AfterAll
    static void restore() {
        if (savedCache == null) {
            System.clearProperty("bkd.cache.dir");
        } else {
            System.setProperty("bkd.cache.dir", savedCache);
        }
    }

    private static void assertSameTensors(Path want, Path got) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> a = RefData.load(want, m);
            Map<String, NDArray> b = RefData.load(got, m);
            assertEquals(a.keySet(), b.keySet(), got.toString());
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k).toByteArray(), b.get(k).toByteArray(), k);
            }
        }
    }

    @Test
    void convertBothWaysAndGenerateFromASingleFileWithAnotherVae() {
        String sd1 = ref.resolve("sd1/sd-tiny.safetensors").toString();
        String models = RefData.models().toString();
        Path folder = tmp.resolve("from-single");
        Cli c = Cli.run("convert", "--from-single-file", sd1, "--config", models, "--out", folder.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("placed 965 tensors") && c.out().contains("unexpected 0"), c.out());
        for (String f : new String[] {"unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors"}) {
            assertSameTensors(RefData.models().resolve(f), folder.resolve(f));
        }

        Path single = tmp.resolve("back.safetensors");
        c = Cli.run("convert", "--model", folder.toString(), "--to-single-file", single.toString());
        assertEquals(0, c.code(), c.err());
        assertSameTensors(ref.resolve("sd1/sd-tiny.safetensors"), single);

        Path out = tmp.resolve("images");
        c = Cli.run("generate", "--model", sd1, "--config", models, "--vae",
                ref.resolve("vae/vae-tiny-perturbed.safetensors").toString(), "--prompt", "a red circle", "--steps", "2",
                "--width", "64", "--height", "64", "--seed", "1", "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(Files.isDirectory(out));
    }

    @Test
    void trainingCommandsTakeASingleFileAndStudentsCannotBeExported() {
        Path student = tmp.resolve("student");
        Cli c = Cli.run("prune", "--teacher", ref.resolve("ckpt/sd-tiny-fp16.ckpt").toString(), "--config",
                RefData.models().toString(), "--variant", "tiny", "--out", student.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.err().contains("converting"), c.err());
        c = Cli.run("convert", "--model", student.toString(), "--to-single-file", tmp.resolve("s.safetensors").toString());
        assertEquals(1, c.code());
        assertTrue(c.err().contains("cannot be written as an original-layout single file"), c.err());
        assertFalse(Files.exists(tmp.resolve("s.safetensors")));
    }

    @Test
    void sd2SingleFileFinetunesOnVelocityTargets() throws IOException {
        Path config = tmp.resolve("sd2-config");
        copyTree(ref.resolve("sd2-tiny"), config);
        for (String n : new String[] {"vocab.json", "merges.txt"}) {
            Files.copy(RefData.models().resolve("tokenizer").resolve(n), config.resolve("tokenizer").resolve(n));
        }
        Path data = tmp.resolve("data");
        assertEquals(0, Cli.run("demo-data", "--out", data.toString(), "--count", "4", "--seed", "3").code());
        Path out = tmp.resolve("sd2-finetuned");
        Cli c = Cli.run("finetune", "--model", ref.resolve("sd2/sd2-tiny.safetensors").toString(), "--config",
                config.toString(), "--data", data.toString(), "--out", out.toString(), "--resolution", "32", "--steps",
                "2", "--batch", "2");
        assertEquals(0, c.code(), c.err());
        String sched = Files.readString(out.resolve("scheduler/scheduler_config.json"));
        assertTrue(sched.matches("(?s).*\"prediction_type\"\\s*:\\s*\"v_prediction\".*"), sched);
        assertTrue(Files.isRegularFile(out.resolve("unet/diffusion_pytorch_model.safetensors")));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted().toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    @Test
    void hostilePickleIsRefusedByTheCli() throws IOException {
        byte[] pkl = {(byte) 0x80, 2, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', 'X', 4, 0, 0, 0,
            't', 'r', 'u', 'e', (byte) 0x85, 'R', '.'};
        Path f = tmp.resolve("evil.ckpt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            ZipEntries.stored(z, "evil/data.pkl", pkl);
        }
        Cli c = Cli.run("generate", "--model", f.toString(), "--config", RefData.models().toString(), "--prompt", "x",
                "--out", tmp.resolve("never").toString());
        assertEquals(1, c.code());
        assertTrue(c.err().contains("`os.system`"), c.err());
    }
}
