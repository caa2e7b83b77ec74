package dev.bkd.models.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The local Hugging Face hub cache, read the way huggingface_hub reads it offline: the cache folder is
 * {@code $HF_HUB_CACHE}, else {@code $HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 * {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}; a model repo
 * {@code org/name} lives in {@code models--org--name/}, where {@code refs/<branch>} holds the commit whose
 * files are in {@code snapshots/<commit>/}. Nothing is ever downloaded.
 */
public final class HubCache {
    public static final String DEFAULT_REVISION = "main";
    /** huggingface_hub's repo id rule: one optional namespace, letters, digits, '-', '_', '.'. */
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final Path root;
    private final String rootSource;

    private HubCache(Path root, String rootSource) {
        this.root = root;
        this.rootSource = rootSource;
    }

    /** The cache this process's environment points to. */
    public static HubCache fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** The cache {@code env} points to ({@code home} stands for {@code ~}); tests pass a fake environment. */
    public static HubCache fromEnvironment(Map<String, String> env, Path home) {
        for (String var : new String[] {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
            String v = env.get(var);
            if (v != null && !v.isEmpty()) {
                return new HubCache(expandHome(v, home), "$" + var);
            }
        }
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isEmpty()) {
            return new HubCache(expandHome(hfHome, home).resolve("hub"), "$HF_HOME/hub");
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) {
            return new HubCache(expandHome(xdg, home).resolve("huggingface").resolve("hub"),
                    "$XDG_CACHE_HOME/huggingface/hub");
        }
        return new HubCache(home.resolve(".cache").resolve("huggingface").resolve("hub"), "~/.cache/huggingface/hub");
    }

    /** A cache at an explicit folder (huggingface_hub's {@code cache_dir=}). */
    public static HubCache at(Path root) {
        return new HubCache(root, "cache_dir");
    }

    public Path root() {
        return root;
    }

    /** True when {@code s} has the form of a hub repo id ({@code org/name} or {@code name}). */
    public static boolean isRepoId(String s) {
        return s != null && REPO_ID.matcher(s).matches() && !s.contains("--") && !s.contains("..");
    }

    /** The snapshot folder of {@code repoId} at the {@code main} branch. */
    public Path snapshot(String repoId) {
        return snapshot(repoId, DEFAULT_REVISION);
    }

    /**
     * The snapshot folder of {@code repoId} at {@code revision} (a branch or tag with a {@code refs/} file,
     * or a 40-digit commit hash).
     *
     * @throws ModelNotFoundException listing the cache folder, repo folder, ref file and snapshot looked for
     */
    public Path snapshot(String repoId, String revision) {
        if (!isRepoId(repoId)) {
            throw new ModelNotFoundException("\"" + repoId + "\" is neither a folder nor a Hugging Face hub id"
                    + " (like runwayml/stable-diffusion-v1-5)");
        }
        String rev = revision == null || revision.isBlank() ? DEFAULT_REVISION : revision;
        Path repo = root.resolve(folderName(repoId));
        List<String> looked = new ArrayList<>();
        looked.add("cache folder " + root + " (" + rootSource + ")" + (Files.isDirectory(root) ? "" : ": missing"));
        if (!Files.isDirectory(repo)) {
            looked.add("repo folder " + repo + ": missing");
            throw notFound(repoId, rev, looked);
        }
        String commit;
        Path ref = repo.resolve("refs").resolve(rev);
        if (Files.isRegularFile(ref)) {
            commit = readRef(ref);
            looked.add("ref " + ref + " -> " + commit);
        } else if (COMMIT.matcher(rev).matches()) {
            commit = rev;
        } else {
            looked.add("ref " + ref + ": missing");
            throw notFound(repoId, rev, looked);
        }
        Path snap = repo.resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(snap)) {
            looked.add("snapshot " + snap + ": missing");
            throw notFound(repoId, rev, looked);
        }
        return snap;
    }

    /** {@code models--org--name}: huggingface_hub's folder for a model repo. */
    static String folderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    private static String readRef(Path ref) {
        try {
            return Files.readString(ref, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new ModelNotFoundException(ref + ": cannot read the ref file: " + e.getMessage());
        }
    }

    private ModelNotFoundException notFound(String repoId, String rev, List<String> looked) {
        return new ModelNotFoundException(repoId + " (revision " + rev + ") is not in the local Hugging Face cache"
                + " and bkd never downloads; looked at: " + String.join("; ", looked) + ". Download it once with"
                + " `huggingface-cli download " + repoId + "`, set HF_HUB_CACHE / HF_HOME, or pass the model folder");
    }

    private static Path expandHome(String p, Path home) {
        if (p.equals("~")) {
            return home;
        }
        if (p.startsWith("~/")) {
            return home.resolve(p.substring(2));
        }
        return Path.of(p);
    }
}
