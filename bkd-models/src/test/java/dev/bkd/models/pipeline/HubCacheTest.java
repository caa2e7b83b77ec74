package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.FakeHubCache;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local HF cache layout, built by hand in a temp dir (files symlinked to the reference model). */
class HubCacheTest {
    private static final String REPO = "bkd-test/sd-tiny";
    private static final String COMMIT = FakeHubCache.COMMIT;

    @TempDir
    Path tmp;

    @Test
    void cacheFolderFollowsHuggingfaceHubPrecedence() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/c1"), cache(Map.of("HF_HUB_CACHE", "/c1", "HUGGINGFACE_HUB_CACHE", "/c2",
                "HF_HOME", "/h", "XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/c2"), cache(Map.of("HUGGINGFACE_HUB_CACHE", "/c2", "HF_HOME", "/h"), home));
        assertEquals(Path.of("/h/hub"), cache(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/x/huggingface/hub"), cache(Map.of("XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), cache(Map.of(), home));
        assertEquals(Path.of("/home/u/hf/hub"), cache(Map.of("HF_HOME", "~/hf"), home));
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), cache(Map.of("HF_HUB_CACHE", ""), home),
                "an empty variable counts as unset");
    }

    private static Path cache(Map<String, String> env, Path home) {
        return HubCache.fromEnvironment(env, home).root();
    }

    @Test
    void resolvesRefsMainToTheSnapshotAndLoadsThePipeline() throws IOException {
        Path hub = fakeCache(true);
        Path snap = HubCache.at(hub).snapshot(REPO);
        assertEquals(hub.resolve("models--bkd-test--sd-tiny/snapshots/" + COMMIT), snap);
        assertEquals(snap, HubCache.at(hub).snapshot(REPO, COMMIT), "a commit hash needs no ref file");

        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(REPO, PipelineOptions.defaults(), HubCache.at(hub))) {
            assertEquals(REPO, p.modelName());
            GenerationResult r = p.generate(GenerationRequest.builder("a red circle").steps(1).seed(3L).build());
            assertEquals(REPO, r.parameters().get(0).model());
            assertEquals(128, r.images().get(0).getWidth());
        }
    }

    @Test
    void missingPiecesAreListedInTheError() throws IOException {
        Path hub = fakeCache(false);
        ModelNotFoundException noRef = assertThrows(ModelNotFoundException.class,
                () -> HubCache.at(hub).snapshot(REPO));
        assertTrue(noRef.getMessage().contains(hub.toString()), noRef.getMessage());
        assertTrue(noRef.getMessage().contains("refs/main: missing"), noRef.getMessage());

        ModelNotFoundException noRepo = assertThrows(ModelNotFoundException.class,
                () -> HubCache.at(hub).snapshot("runwayml/stable-diffusion-v1-5"));
        assertTrue(noRepo.getMessage().contains("models--runwayml--stable-diffusion-v1-5: missing"), noRepo.getMessage());
        assertTrue(noRepo.getMessage().contains("never downloads"), noRepo.getMessage());

        ModelNotFoundException noSnap = assertThrows(ModelNotFoundException.class,
                () -> HubCache.at(hub).snapshot(REPO, "ffffffffffffffffffffffffffffffffffffffff"));
        assertTrue(noSnap.getMessage().contains("snapshots/ffffffffffffffffffffffffffffffffffffffff: missing"),
                noSnap.getMessage());

        Path missingHub = tmp.resolve("nowhere");
        ModelNotFoundException viaPipeline = assertThrows(ModelNotFoundException.class,
                () -> DiffusionPipeline.fromPretrained("org/absent", PipelineOptions.defaults(), HubCache.at(missingHub)));
        assertTrue(viaPipeline.getMessage().contains("no folder") && viaPipeline.getMessage().contains(
                missingHub + " (cache_dir): missing"), viaPipeline.getMessage());

        assertThrows(ModelNotFoundException.class, () -> HubCache.at(hub).snapshot("../etc"));
        assertTrue(!HubCache.isRepoId("a/b/c") && !HubCache.isRepoId("a--b/c") && HubCache.isRepoId("a.b/c_d-1"));
    }

    private Path fakeCache(boolean withRef) throws IOException {
        Path hub = tmp.resolve("hub");
        FakeHubCache.build(hub, REPO, RefData.models(), withRef);
        return hub;
    }
}
