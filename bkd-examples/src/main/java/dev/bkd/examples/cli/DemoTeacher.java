package dev.bkd.examples.cli;

import dev.bkd.core.BkdException;
import dev.bkd.core.io.AtomicFolder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The demo teacher shipped inside the CLI (a pipeline bkd trained itself; see the README for the commands), copied
 * out to a folder on first use. A marker file holds the digest of the shipped files, so a later run reuses the copy
 * and a changed teacher replaces it.
 */
final class DemoTeacher {
    static final String RESOURCES = "/dev/bkd/examples/demo/teacher/";
    static final List<String> FILES = List.of("model_index.json", "scheduler/scheduler_config.json",
            "text_encoder/config.json", "text_encoder/model.safetensors", "tokenizer/vocab.json", "tokenizer/merges.txt",
            "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json", "unet/config.json",
            "unet/diffusion_pytorch_model.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.safetensors");
    private static final String MARKER = ".bkd-demo-teacher";

    private DemoTeacher() {}

    /** Copies the shipped teacher into {@code dir} unless it already holds it; returns true when it copied. */
    static boolean extract(Path dir) {
        String digest = digest();
        Path marker = dir.resolve(MARKER);
        try {
            if (Files.isRegularFile(marker) && Files.readString(marker).strip().equals(digest)) {
                return false;
            }
            try (AtomicFolder f = AtomicFolder.begin(dir, true)) {
                for (String name : FILES) {
                    Path target = f.dir().resolve(name);
                    Files.createDirectories(target.getParent());
                    try (InputStream in = open(name)) {
                        Files.copy(in, target);
                    }
                }
                Files.writeString(f.dir().resolve(MARKER), digest + "\n");
                f.commit();
            }
            return true;
        } catch (IOException e) {
            throw new BkdException("cannot copy the demo teacher to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static InputStream open(String name) {
        InputStream in = DemoTeacher.class.getResourceAsStream(RESOURCES + name);
        if (in == null) {
            throw new BkdException("the demo teacher is missing from this build (no " + RESOURCES + name
                    + "); rebuild the CLI, or pass --teacher DIR");
        }
        return in;
    }

    /** SHA-256 over the shipped files' names and bytes. */
    static String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String name : FILES) {
                md.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = open(name)) {
                    md.update(in.readAllBytes());
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new BkdException("cannot read the demo teacher: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
