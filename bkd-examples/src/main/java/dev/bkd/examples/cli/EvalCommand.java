package dev.bkd.examples.cli;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.examples.eval.EvalGeneration;
import dev.bkd.examples.eval.EvalReport;
import dev.bkd.models.eval.ClipFeatures;
import dev.bkd.models.eval.ImageMetrics;
import dev.bkd.models.eval.InceptionFeatures;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.CaptionedImage;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.PromptFile;
import dev.bkd.train.log.ImageGrid;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd eval}: CLIP score, FID, FD-CLIP and latency of one or more pipelines, or of picture folders. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure pipelines (a teacher and its students) on a prompt list: each draws one picture per"
                + " prompt with the same seeds; reports CLIP score, FID / FD-CLIP against --reference-images (or the"
                + " first --model) and latency per image into --out (eval.json, eval.md, grid.png). Resumable."
                + " With --images instead of --model, scores pictures that already exist.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    BkdCli cli;

    @Option(names = "--model", paramLabel = "DIR", description = "Pipeline folder (repeatable; the first is the "
            + "reference when --reference-images is not given).")
    List<Path> models = new ArrayList<>();

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "One prompt a line (.txt), or .jsonl / .csv with a `text` column.")
    Path prompts;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate N prompts drawn by --seed (default: all).")
    Integer limit;

    @Option(names = "--seed", defaultValue = "0",
            description = "Draws the --limit subset; picture i starts from the noise of seed + i (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--steps", defaultValue = "25", description = "Denoising steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "7.5", description = "Guidance scale (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--scheduler", paramLabel = "NAME", description = "Sampler (default: each model's own).")
    String scheduler;

    @Option(names = "--width", description = "Picture width (default: the model's).")
    Integer width;

    @Option(names = "--height", description = "Picture height (default: the model's).")
    Integer height;

    @Option(names = "--batch", defaultValue = "4", description = "Pictures per generation batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--images", paramLabel = "DIR", description = "Score existing pictures instead of generating"
            + " (captions from metadata.jsonl / metadata.csv / same-stem .txt, for the CLIP score).")
    Path images;

    @Option(names = "--reference-images", paramLabel = "DIR",
            description = "Real pictures FID / FD-CLIP are measured against.")
    Path referenceImages;

    @Option(names = "--clip", paramLabel = "DIR|FILE",
            description = "transformers CLIP folder (e.g. openai/clip-vit-large-patch14) for CLIP score and FD-CLIP.")
    Path clip;

    @Option(names = "--inception", paramLabel = "FILE",
            description = "pytorch-fid's FID Inception weights (pt_inception-2015-12-05-6726825d as safetensors or"
                    + " a zip-format .pth) for FID.")
    Path inception;

    @Option(names = "--feature-batch", defaultValue = "16",
            description = "Pictures per CLIP / Inception batch (default: ${DEFAULT-VALUE}).")
    int featureBatch;

    @Option(names = "--grid-columns", defaultValue = "8", description = "Prompts shown in grid.png (default: ${DEFAULT-VALUE}).")
    int gridColumns;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "eval", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    /** One picture set to score. */
    private record Subject(String label, String source, List<Path> files, List<String> captions, double latency) {}

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() throws IOException {
        checkArguments();
        PrintWriter log = spec.commandLine().getErr();
        models.replaceAll(m -> checkpoint.folder(m, log));
        Files.createDirectories(out);
        List<Subject> subjects = images != null ? List.of(folderSubject(images)) : generate(log);
        List<String> notes = new ArrayList<>();
        if (clip == null) {
            notes.add("no --clip: CLIP score and FD-CLIP not computed");
        }
        if (inception == null) {
            notes.add("no --inception: FID not computed");
        }
        List<EvalReport.Row> rows = new ArrayList<>();
        String reference = null;
        try (NDManager manager = NDManager.newBaseManager();
             ImageMetrics metrics = new ImageMetrics(
                     clip == null ? null : ClipFeatures.load(clip, manager, featureBatch),
                     inception == null ? null : InceptionFeatures.load(inception, manager, featureBatch),
                     featureBatch)) {
            ImageMetrics.Features ref = null;
            if (referenceImages != null) {
                List<Path> files = ImageMetrics.listImages(referenceImages);
                log.printf("reference: %d pictures in %s%n", files.size(), referenceImages);
                ref = features(metrics, files, log);
                reference = "reference images " + referenceImages + " (" + files.size() + ")";
            }
            for (int k = 0; k < subjects.size(); k++) {
                Subject s = subjects.get(k);
                log.printf("%s: features of %d pictures%n", s.label(), s.files().size());
                ImageMetrics.Features f = features(metrics, s.files(), log);
                if (ref == null && subjects.size() > 1 && k == 0) {
                    ref = f;
                    reference = "the first model, " + s.label();
                }
                boolean isRef = referenceImages == null && k == 0;
                Double clipScore = s.captions() == null ? null : metrics.clipScore(f, s.captions());
                rows.add(new EvalReport.Row(s.label(), s.source(), s.files().size(), clipScore,
                        ref == null || isRef ? null : metrics.fid(f, ref),
                        ref == null || isRef ? null : metrics.fdClip(f, ref), s.latency()));
            }
        }
        if (subjects.size() == 1 && subjects.get(0).captions() == null) {
            notes.add(subjects.get(0).label() + " has no captions: no CLIP score");
        }
        EvalReport report = new EvalReport(subjects.get(0).files().size(), images == null ? seed : null, reference,
                rows, notes);
        report.write(out);
        Path grid = writeGrid(subjects);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.print(report.markdown());
        stdout.println();
        stdout.println("wrote " + out.resolve("eval.json") + ", " + out.resolve("eval.md")
                + (grid == null ? "" : ", " + grid));
        stdout.flush();
        return 0;
    }

    private void checkArguments() {
        if (images != null && !models.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give either --model (generate, then score) or --images"
                    + " (score existing pictures), not both");
        }
        if (images == null && models.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "nothing to evaluate: give --model DIR (with --prompts)"
                    + " or --images DIR");
        }
        if (!models.isEmpty() && prompts == null) {
            throw new ParameterException(spec.commandLine(), "--model needs --prompts FILE");
        }
        if (batch < 1 || featureBatch < 1 || steps < 1) {
            throw new ParameterException(spec.commandLine(), "--batch, --feature-batch and --steps must be positive");
        }
        if (limit != null && limit < 1) {
            throw new ParameterException(spec.commandLine(), "--limit must be positive, got " + limit);
        }
    }

    private ImageMetrics.Features features(ImageMetrics metrics, List<Path> files, PrintWriter log) {
        if (!metrics.hasClip() && !metrics.hasInception()) {
            return new ImageMetrics.Features(null, null);
        }
        ProgressBar bar = new ProgressBar(log, System::nanoTime);
        return metrics.features(files, done -> bar.onStep(done, files.size(), 0));
    }

    /** Generates every model's pictures (resuming), with one progress bar over all that are missing. */
    private List<Subject> generate(PrintWriter log) {
        List<String> all = PromptFile.read(prompts);
        List<String> chosen = PromptFile.subsample(all, limit, seed);
        log.printf("%d prompts (%d in %s)%n", chosen.size(), all.size(), prompts);
        List<String> labels = labels(models);
        int missing = 0;
        for (String l : labels) {
            missing += EvalGeneration.missing(out.resolve(l), chosen.size());
        }
        ProgressBar bar = new ProgressBar(log, System::nanoTime);
        int total = missing;
        int[] done = {0};
        IntConsumer progress = n -> {
            done[0] += n;
            bar.onStep(done[0], total, 0);
        };
        if (missing < chosen.size() * models.size()) {
            log.printf("reusing %d pictures already in %s%n", chosen.size() * models.size() - missing, out);
        }
        List<Subject> subjects = new ArrayList<>();
        for (int k = 0; k < models.size(); k++) {
            Path m = models.get(k);
            if (!Files.isRegularFile(m.resolve("model_index.json"))) {
                throw new BkdException("--model " + m + ": not a diffusers pipeline folder (no model_index.json)");
            }
            EvalGeneration.Settings s = new EvalGeneration.Settings(m.toAbsolutePath().normalize().toString(), chosen,
                    seed, steps, guidance, scheduler, width, height);
            EvalGeneration.Result r = EvalGeneration.run(m, out.resolve(labels.get(k)), s, batch, progress);
            subjects.add(new Subject(labels.get(k), m.toString(), r.files(), chosen, r.secondsPerImage()));
        }
        return subjects;
    }

    /** Folder names, made unique with -2, -3 ... (two students called "student" in different places). */
    static List<String> labels(List<Path> models) {
        List<String> out = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Path m : models) {
            Path name = m.toAbsolutePath().normalize().getFileName();
            String base = name == null ? "model" : name.toString();
            String l = base;
            for (int i = 2; !used.add(l); i++) {
                l = base + "-" + i;
            }
            out.add(l);
        }
        return out;
    }

    /** A folder of existing pictures; captions when it is laid out like a training data folder. */
    private Subject folderSubject(Path dir) {
        boolean captioned = Files.exists(dir.resolve(CaptionedDataset.METADATA_JSONL))
                || Files.exists(dir.resolve(CaptionedDataset.METADATA_CSV)) || hasTxt(dir);
        String label = dir.toAbsolutePath().normalize().getFileName().toString();
        if (!captioned) {
            return new Subject(label, dir.toString(), ImageMetrics.listImages(dir), null, Double.NaN);
        }
        CaptionedDataset data = CaptionedDataset.open(dir, DatasetOptions.defaults());
        List<Path> files = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (CaptionedImage item : data.items()) {
            files.add(item.file());
            captions.add(item.captions().get(0));
        }
        if (files.isEmpty()) {
            throw new BkdException(dir + ": no captioned pictures (" + data.report() + ")");
        }
        return new Subject(label, dir.toString(), files, captions, Double.NaN);
    }

    private static boolean hasTxt(Path dir) {
        try (var s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** grid.png: one row per model, one column per prompt (the first --grid-columns). */
    private Path writeGrid(List<Subject> subjects) throws IOException {
        int cols = Math.min(gridColumns, subjects.get(0).files().size());
        if (cols < 1) {
            return null;
        }
        List<List<BufferedImage>> cells = new ArrayList<>();
        for (Subject s : subjects) {
            List<BufferedImage> row = new ArrayList<>();
            for (Path p : s.files().subList(0, Math.min(cols, s.files().size()))) {
                row.add(ImageIO.read(p.toFile()));
            }
            cells.add(row);
        }
        List<String> colLabels = subjects.get(0).captions() == null ? null
                : subjects.get(0).captions().subList(0, cols).stream().map(c -> ImageGrid.wrap(c, 18)).toList();
        Path grid = out.resolve("grid.png");
        int px = cells.get(0).get(0).getWidth();
        ImageGrid.write(grid, cells, subjects.stream().map(Subject::label).toList(), colLabels,
                Math.max(1, 128 / Math.max(1, px)));
        return grid;
    }
}
