package dev.bkd.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds a Hugging Face hub cache entry by hand, as huggingface_hub lays it out:
 * {@code models--org--name/refs/main} holding the commit, {@code snapshots/<commit>/...} with one symlink per file.
 */
public final class FakeHubCache {
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    private FakeHubCache() {}

    /**
     * Links every file of {@code model} (except BK-SDM student folders) into {@code hub}'s entry for {@code repoId};
     * {@code withRef} false leaves out {@code refs/main}. Returns the snapshot folder.
     */
    public static Path build(Path hub, String repoId, Path model, boolean withRef) throws IOException {
        Path repo = hub.resolve("models--" + repoId.replace("/", "--"));
        Path snap = repo.resolve("snapshots").resolve(COMMIT);
        List<Path> files;
        try (Stream<Path> s = Files.walk(model)) {
            files = s.filter(Files::isRegularFile).filter(f -> !model.relativize(f).toString().startsWith("unet_bk"))
                    .toList();
        }
        for (Path f : files) {
            Path link = snap.resolve(model.relativize(f).toString());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, f.toAbsolutePath());
        }
        if (withRef) {
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs/main"), COMMIT + "\n");
        }
        return snap;
    }
}
