package dev.bkd.examples.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFiles;
import dev.bkd.core.random.Generator;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.models.pipeline.PngFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Draws one picture per prompt with one pipeline into a folder ({@code 00000.png}, ...), resumably: pictures already
 * there are kept, so an interrupted evaluation continues where it stopped. Picture i always starts from the noise of
 * seed + i, whatever the batch, so every model sees the same noise for the same prompt (the ancestral samplers'
 * per-step noise comes from the batch's first seed and is not batch-independent).
 */
public final class EvalGeneration {
    static final String SETTINGS = "settings.json";
    static final String TIMING = "timing.json";

    /** What makes the pictures of a folder comparable; a resumed run must use the same. */
    public record Settings(String model, List<String> prompts, long seed, int steps, double guidance,
            String scheduler, Integer width, Integer height) {

        ObjectNode json() {
            ObjectNode o = ConfigReader.MAPPER.createObjectNode();
            o.put("model", model);
            o.put("prompts_sha256", sha256(String.join("\n", prompts)));
            o.put("prompts", prompts.size());
            o.put("seed", seed);
            o.put("steps", steps);
            o.put("guidance", guidance);
            o.put("scheduler", scheduler == null ? "default" : scheduler);
            o.put("width", width == null ? "default" : width.toString());
            o.put("height", height == null ? "default" : height.toString());
            return o;
        }
    }

    /** The folder's pictures, in prompt order, and the measured generation time per picture. */
    public record Result(List<Path> files, double secondsPerImage, int generated) {}

    private EvalGeneration() {}

    public static Path file(Path dir, int i) {
        return dir.resolve(String.format("%05d.png", i));
    }

    /** Pictures of {@code dir} that are still missing. */
    public static int missing(Path dir, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += Files.isRegularFile(file(dir, i)) ? 0 : 1;
        }
        return n;
    }

    /** Generates the missing pictures; {@code progress} hears each finished picture. */
    public static Result run(Path modelDir, Path dir, Settings s, int batch, IntConsumer progress) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BkdException("cannot create " + dir + ": " + AtomicFiles.describe(e), e);
        }
        checkSettings(dir, s);
        double[] timing = readTiming(dir);
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < s.prompts().size(); i++) {
            if (!Files.isRegularFile(file(dir, i))) {
                todo.add(i);
            }
        }
        if (!todo.isEmpty()) {
            PipelineOptions options = PipelineOptions.defaults().withScheduler(s.scheduler());
            try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(modelDir, options);
                 NDManager manager = NDManager.newBaseManager()) {
                int w = s.width() != null ? s.width() : pipe.defaultWidth();
                int h = s.height() != null ? s.height() : pipe.defaultHeight();
                int f = pipe.vaeScaleFactor();
                int channels = pipe.unet().config().inChannels();
                for (int start = 0; start < todo.size(); start += batch) {
                    List<Integer> idx = todo.subList(start, Math.min(todo.size(), start + batch));
                    long t0 = System.nanoTime();
                    try (NDManager scope = manager.newSubManager()) {
                        NDList noise = new NDList();
                        List<String> prompts = new ArrayList<>();
                        for (int i : idx) {
                            noise.add(new Generator(s.seed() + i).randn(scope, new Shape(1, channels, h / f, w / f)));
                            prompts.add(s.prompts().get(i));
                        }
                        NDArray latents = NDArrays.concat(noise, 0);
                        List<BufferedImage> images = pipe.generate(GenerationRequest.builder().prompts(prompts)
                                .steps(s.steps()).guidanceScale(s.guidance()).size(w, h).latents(latents)
                                .seed(s.seed() + idx.get(0)).build()).images();
                        timing[0] += (System.nanoTime() - t0) / 1e9;
                        timing[1] += idx.size();
                        for (int k = 0; k < idx.size(); k++) {
                            int i = idx.get(k);
                            BufferedImage img = images.get(k);
                            Map<String, String> text = Map.of("prompt", prompts.get(k), "seed",
                                    Long.toString(s.seed() + i));
                            AtomicFiles.write(file(dir, i), out -> out.write(PngFiles.encode(img, text)));
                        }
                        writeTiming(dir, timing);
                    }
                    progress.accept(idx.size());
                }
            }
        }
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < s.prompts().size(); i++) {
            files.add(file(dir, i));
        }
        return new Result(files, timing[1] == 0 ? Double.NaN : timing[0] / timing[1], todo.size());
    }

    private static void checkSettings(Path dir, Settings s) {
        Path file = dir.resolve(SETTINGS);
        ObjectNode now = s.json();
        if (Files.isRegularFile(file)) {
            JsonNode was = readJson(file);
            Iterator<Map.Entry<String, JsonNode>> it = now.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                // compared as text: a number read back may be an int node where a long was written
                if (!e.getValue().asText().equals(was.path(e.getKey()).asText())) {
                    throw new BkdException(dir + " holds pictures made with other settings (" + e.getKey() + ": was "
                            + was.get(e.getKey()) + ", now " + e.getValue() + "); use another --out or delete it");
                }
            }
        }
        AtomicFiles.writeString(file, now.toPrettyString());
    }

    private static JsonNode readJson(Path file) {
        try {
            return ConfigReader.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new BkdException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** [seconds, pictures] of all generation so far in this folder (resumed runs add to it). */
    private static double[] readTiming(Path dir) {
        Path file = dir.resolve(TIMING);
        if (!Files.isRegularFile(file)) {
            return new double[2];
        }
        JsonNode t = readJson(file);
        return new double[] {t.path("seconds").asDouble(), t.path("images").asDouble()};
    }

    private static void writeTiming(Path dir, double[] timing) {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        o.put("seconds", timing[0]);
        o.put("images", (long) timing[1]);
        AtomicFiles.writeString(dir.resolve(TIMING), o.toPrettyString());
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
