package dev.bkd.train.checkpoint;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.io.AtomicFiles;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.core.io.CrashPoint;
import dev.bkd.core.io.Leftovers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code checkpoint-<step>/} folders in an output folder, like diffusers' training scripts. A checkpoint is
 * written in a hidden temp folder and renamed into place, so a folder under the final name is always complete;
 * temp folders left by a crash are ignored and deleted. Only the newest {@code keepLast} are kept.
 */
public final class CheckpointManager {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointManager.class);
    /** Checkpoint folders are PREFIX + step, holding STATE_FILE and one {@code <set>}WEIGHTS_SUFFIX per weight set. */
    public static final String PREFIX = "checkpoint-";
    public static final String STATE_FILE = "trainer_state.json";
    public static final String WEIGHTS_SUFFIX = ".safetensors";
    static final String FORMAT = "bkd-checkpoint";
    private static final Pattern FINAL = Pattern.compile("checkpoint-(\\d{1,18})");
    private static final Pattern SET_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    private final Path outputDir;
    private final int keepLast;

    /** {@code keepLast} <= 0 keeps every checkpoint. Cleans up what an earlier crash left behind. */
    public CheckpointManager(Path outputDir, int keepLast) {
        this.outputDir = outputDir;
        this.keepLast = keepLast;
        try {
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw new CheckpointException(outputDir + ": cannot create the output folder: " + e.getMessage(), e);
        }
        recoverLeftovers();
    }

    /**
     * Writes {@code checkpoint-<state.step>} with one safetensors file per weight set (e.g. student, ema,
     * optimizer) and trainer_state.json, replaces an existing one of the same step, then prunes old ones.
     */
    public Path save(TrainerState state, Map<String, Map<String, NDArray>> weightSets) {
        for (String name : weightSets.keySet()) {
            if (!SET_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("weight set name `" + name + "` must be a plain file stem");
            }
        }
        Path target = outputDir.resolve(PREFIX + state.step());
        try (AtomicFolder folder = AtomicFolder.begin(target, true)) {
            for (Map.Entry<String, Map<String, NDArray>> e : weightSets.entrySet()) {
                SafetensorsWriter.write(folder.dir().resolve(e.getKey() + WEIGHTS_SUFFIX), e.getValue());
            }
            AtomicFiles.writeString(folder.dir().resolve(STATE_FILE), stateJson(state, weightSets.keySet()));
            CrashPoint.reach("checkpoint.written");
            folder.commit();
        } catch (BkdException e) {
            throw new CheckpointException(target + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
        LOG.info("saved {}", target);
        prune();
        return target;
    }

    private static String stateJson(TrainerState state, Set<String> sets) {
        ObjectNode n = ConfigReader.MAPPER.createObjectNode();
        n.put("format", FORMAT);
        n.put("version", 1);
        n.setAll(state.toJson());
        ArrayNode w = n.putArray("weights");
        new TreeSet<>(sets).forEach(w::add);
        try {
            return ConfigReader.MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Complete checkpoints, oldest step first. */
    public List<Path> list() {
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> Files.isDirectory(p) && FINAL.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(CheckpointManager::stepOf)).toList();
        } catch (IOException e) {
            throw new CheckpointException(outputDir + ": cannot list checkpoints: " + e.getMessage(), e);
        }
    }

    /** The checkpoint with the highest step, if any. */
    public Optional<Path> latest() {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * diffusers' {@code --resume_from_checkpoint}: {@code latest} (empty when there is none yet), a folder name
     * in the output folder, or a path. A named checkpoint that does not exist is an error.
     */
    public Optional<Path> resolve(String spec) {
        if ("latest".equals(spec)) {
            return latest();
        }
        Path p = outputDir.resolve(spec);
        if (!Files.isDirectory(p)) {
            throw new CheckpointException("checkpoint " + spec + " not found (looked for " + p + "); available: "
                    + list().stream().map(x -> x.getFileName().toString()).toList());
        }
        return Optional.of(p);
    }

    /** Reads and validates {@code dir}: trainer_state.json parses, and every listed and required set opens. */
    public static Checkpoint load(Path dir, Set<String> required) {
        Path stateFile = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(stateFile)) {
            throw new CheckpointException(dir + ": missing " + STATE_FILE + "; not a complete bkd checkpoint");
        }
        TrainerState state;
        Set<String> sets = new LinkedHashSet<>();
        try {
            ConfigReader cfg = ConfigReader.read(stateFile);
            if (!FORMAT.equals(cfg.getString("format", null))) {
                throw cfg.error("format", "must be \"" + FORMAT + "\"");
            }
            state = TrainerState.fromJson(cfg);
            sets.addAll(cfg.getStringList("weights", List.of()));
        } catch (BkdException e) {
            throw new CheckpointException(dir + ": " + e.getMessage(), e);
        }
        Matcher m = FINAL.matcher(dir.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(1)) != state.step()) {
            throw new CheckpointException(dir + ": folder says step " + m.group(1) + " but " + STATE_FILE
                    + " says " + state.step());
        }
        List<String> problems = new ArrayList<>();
        for (String r : required) {
            if (!sets.contains(r)) {
                problems.add("weight set `" + r + "` is missing (has " + sets + ")");
            }
        }
        for (String s : sets) {
            Path f = dir.resolve(s + WEIGHTS_SUFFIX);
            try (SafetensorsFile ignored = SafetensorsFile.open(f)) {
                // header parsed and validated against the file size
            } catch (BkdException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(dir + ": cannot resume: " + String.join("; ", problems));
        }
        return new Checkpoint(dir, state, Set.copyOf(sets));
    }

    /**
     * {@link #load}, and when {@code dir} is broken (a crash or a full disk while it was written by a tool that
     * does not write atomically, a disk error), the error names the newest older checkpoint that loads, so the
     * user knows the run is not lost and how to continue.
     */
    public Checkpoint loadPointingToIntact(Path dir, Set<String> required) {
        try {
            return load(dir, required);
        } catch (CheckpointException broken) {
            long step = stepOf(dir);
            List<Path> older = new ArrayList<>(list().stream().filter(p -> stepOf(p) < step).toList());
            java.util.Collections.reverse(older);
            for (Path p : older) {
                if (loads(p, required)) {
                    throw new CheckpointException(broken.getMessage() + "\nthe older " + p.getFileName()
                            + " is intact: continue from it with --resume " + p.getFileName() + " (move "
                            + dir.getFileName() + " out of " + outputDir + " first if you want --resume latest)",
                            broken);
                }
            }
            throw new CheckpointException(broken.getMessage() + "\nno older intact checkpoint in " + outputDir,
                    broken);
        }
    }

    private static boolean loads(Path dir, Set<String> required) {
        try {
            load(dir, required);
            return true;
        } catch (CheckpointException e) {
            return false;
        }
    }

    private void prune() {
        if (keepLast <= 0) {
            return;
        }
        List<Path> all = list();
        for (Path p : all.subList(0, Math.max(0, all.size() - keepLast))) {
            LOG.info("removing old {}", p);
            AtomicFolder.delete(p);
        }
    }

    /**
     * Cleans what interrupted saves, prunes and exports left in the output folder (see {@link Leftovers}): puts back
     * a checkpoint displaced by an interrupted replace, deletes the rest.
     */
    private void recoverLeftovers() {
        Leftovers.clean(outputDir);
    }

    private static long stepOf(Path p) {
        Matcher m = FINAL.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
