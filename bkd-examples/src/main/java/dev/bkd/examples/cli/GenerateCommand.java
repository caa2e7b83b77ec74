package dev.bkd.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.BkdException;
import dev.bkd.core.io.AtomicFiles;
import dev.bkd.core.limits.SizeLimits;
import dev.bkd.core.lora.LoraLoadReport;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.weights.NonFiniteException;
import dev.bkd.models.image.ResizeMode;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.GenerationRequestException;
import dev.bkd.models.pipeline.GenerationResult;
import dev.bkd.models.pipeline.LoraSpec;
import dev.bkd.models.pipeline.OutputType;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.models.pipeline.Rng;
import dev.bkd.models.prompt.PromptException;
import dev.bkd.models.prompt.PromptSyntax;
import dev.bkd.models.schedulers.Schedulers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.LongStream;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bkd generate}: text to image with a diffusers pipeline folder or a cached hub model. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate images from a text prompt with a Stable Diffusion 1.x/2.x diffusers folder or a hub id"
                + " in the local Hugging Face cache. PNGs carry their parameters in a `parameters` text chunk.")
final class GenerateCommand implements Callable<Integer> {
    enum DeviceName { cpu, gpu }

    enum Dtype { fp32, fp16 }

    /** Request fields as the options that set them, for one-line argument errors. */
    private static final Map<String, String> OPTION_OF = Map.ofEntries(Map.entry("width", "--width"),
            Map.entry("height", "--height"), Map.entry("latents", "--latents"), Map.entry("steps", "--steps"),
            Map.entry("imagesPerPrompt", "--num-images"), Map.entry("guidanceScale", "--guidance"),
            Map.entry("prompts", "--prompt"), Map.entry("negativePrompts", "--negative-prompt"),
            Map.entry("clipSkip", "--clip-skip"), Map.entry("rng", "--rng"),
            Map.entry("initImage", "--init-image"), Map.entry("strength", "--strength"), Map.entry("mask", "--mask"),
            Map.entry("legacyInpainting", "--legacy-inpaint"));

    @Spec
    CommandSpec spec;

    @ParentCommand
    BkdCli cli;

    @Option(names = "--model", required = true, paramLabel = "DIR|FILE|HUB_ID",
            description = "Pipeline folder (with model_index.json), single-file checkpoint (.safetensors/.ckpt in the"
                    + " original LDM/A1111 layout) or hub id such as runwayml/stable-diffusion-v1-5"
                    + " (looked up in the local Hugging Face cache; nothing is downloaded).")
    String model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT")
    String prompt;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", defaultValue = "")
    String negativePrompt;

    @Option(names = "--steps", defaultValue = "25", description = "Denoising steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "7.5",
            description = "Classifier-free guidance scale; <= 1 turns guidance off (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--scheduler", paramLabel = "NAME",
            description = "pndm, ddim, ddpm, euler, euler-a, dpm++2m or lms (default: the model's own).")
    String scheduler;

    @Option(names = "--seed", converter = SeedConverter.class,
            description = "Random seed, 0 to 2^64-1; image i of --num-images gets seed + i; -1 or none: a random one,"
                    + " recorded in the PNG.")
    Long seed;

    @Option(names = "--prompt-syntax", paramLabel = "a1111|plain", defaultValue = "a1111",
            description = "a1111: (word:1.4) weights, BREAK, prompts over 77 tokens, as AUTOMATIC1111; plain: the text"
                    + " as is, truncated to 77 tokens, as diffusers (default: ${DEFAULT-VALUE}).")
    String promptSyntax;

    @Option(names = "--clip-skip", paramLabel = "N", defaultValue = "1",
            description = "A1111's Clip skip: 1 = last text-encoder layer, 2 = penultimate (default: ${DEFAULT-VALUE}).")
    int clipSkip;

    @Option(names = "--rng", paramLabel = "torch|bkd", defaultValue = "torch",
            description = "torch: the seed gives torch.Generator(\"cpu\").manual_seed(seed)'s noise, so Python"
                    + " diffusers' image; bkd: bkd's own generator (default: ${DEFAULT-VALUE}).")
    String rng;

    @Option(names = "--width", description = "Multiple of 8 (default: the model's, or from --latents).")
    Integer width;

    @Option(names = "--height", description = "Multiple of 8 (default: the model's, or from --latents).")
    Integer height;

    @Option(names = "--num-images", paramLabel = "N", description = "Images to make (default: 1, or the --latents batch).")
    Integer numImages;

    @Option(names = "--latents", paramLabel = "FILE.safetensors",
            description = "Initial noise: a tensor `latents` (N, 4, H/8, W/8), scaled by the scheduler's init sigma.")
    Path latents;

    @Option(names = "--init-image", paramLabel = "FILE",
            description = "Image-to-image: start from this image (PNG/JPEG/BMP, any size and mode; resized with"
                    + " Lanczos like diffusers, output size = the image's floored to multiples of 8 unless"
                    + " --width/--height).")
    Path initImage;

    @Option(names = "--strength", paramLabel = "S",
            description = "With --init-image: how much to repaint, in (0, 1] (default 0.8; 1.0 with --mask).")
    Double strength;

    @Option(names = "--mask", paramLabel = "FILE",
            description = "Inpainting: white = repaint, black = keep (grey >= 128 counts as white); the size of"
                    + " --init-image. Needs an inpainting model (unet in_channels 9) or --legacy-inpaint.")
    Path mask;

    @Option(names = "--legacy-inpaint",
            description = "Inpaint with a normal (4-channel) model: blend the kept region back after every step.")
    boolean legacyInpaint;

    @Option(names = "--resize-mode", paramLabel = "MODE", defaultValue = "default",
            description = "How --init-image/--mask of another size are fitted: default (stretch) or crop (cover,"
                    + " then cut the centre) (default: ${DEFAULT-VALUE}).")
    String resizeMode;

    @Option(names = "--save-latents", paramLabel = "FILE.safetensors",
            description = "Also write the final `latents` and the decoded `image` (N, H, W, 3 floats in [0, 1]).")
    Path saveLatents;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "outputs",
            description = "Folder for the PNGs (default: ${DEFAULT-VALUE}); files are numbered, never overwritten.")
    Path out;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or gpu (default: ${DEFAULT-VALUE}).")
    DeviceName device;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32 or fp16 (fp16 is for GPUs; default: ${DEFAULT-VALUE}).")
    Dtype dtype;

    @Option(names = "--variant", paramLabel = "NAME", description = "Weight files variant, e.g. fp16.")
    String variant;

    @Option(names = "--lora", paramLabel = "FILE[:SCALE]",
            description = "LoRA to apply (repeatable): a diffusers/PEFT or kohya .safetensors, or a folder holding"
                    + " pytorch_lora_weights.safetensors; SCALE multiplies it (default 1; 0 is the base model).")
    List<String> loras = List.of();

    @Mixin
    VerboseMixin verbose;

    /** --init-image and --mask, read by {@link #checkArguments} (null when not given). */
    private BufferedImage initPixels;
    private BufferedImage maskPixels;

    /** The parsed --lora values (filled by {@link #checkArguments}). */
    private List<LoraSpec> loraSpecs = List.of();

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() {
        checkArguments();
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dtype == Dtype.fp16 && device == DeviceName.cpu) {
            err.println("warning: fp16 on the CPU is correct but very slow; it is meant for GPUs");
        }
        try (NDManager files = NDManager.newBaseManager(Device.cpu())) {
            NDArray initial = latents == null ? null : readLatents(files);
            PipelineOptions options = PipelineOptions.defaults()
                    .withDevice(device == DeviceName.gpu ? Device.gpu() : Device.cpu())
                    .withDtype(dtype == Dtype.fp16 ? DataType.FLOAT16 : DataType.FLOAT32)
                    .withVariant(variant).withScheduler(scheduler);
            options = checkpoint.apply(options);
            Path folder = cli.resolve(model);
            // a folder or a single-file checkpoint; else a hub id
            String source = Files.exists(folder) ? folder.toString() : model;
            try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(source, options)) {
                List<String> adapters = new ArrayList<>();
                for (LoraSpec l : loraSpecs) {
                    LoraLoadReport report;
                    try {
                        report = pipe.loadLora(l.file(), l.scale());
                    } catch (BkdException e) {
                        throw new BkdException("--lora " + l.file() + ": " + e.getMessage(), e);
                    }
                    if (!report.clean()) {
                        err.println("warning: " + report.describe());
                    }
                    adapters.add(report.adapter() + " = --lora " + l.file() + ":" + l.scale());
                }
                warnTruncation(pipe, err);
                GenerationResult result;
                try {
                    result = generate(pipe, initial, err);
                } catch (NonFiniteException e) { // the pipeline names adapters; the user knows files
                    throw adapters.isEmpty() ? e : new NonFiniteException(e.getMessage() + " (" + String.join(", ", adapters) + ")");
                }
                List<Path> written = new ArrayList<>(result.save(out));
                if (saveLatents != null) {
                    writeLatents(result, files);
                    written.add(saveLatents);
                }
                written.forEach(stdout::println);
            }
        }
        stdout.flush();
        return 0;
    }

    private GenerationResult generate(DiffusionPipeline pipe, NDArray initial, PrintWriter err) {
        int f = pipe.vaeScaleFactor();
        Integer n = numImages;
        Integer w = width;
        Integer h = height;
        if (initial != null) {
            long[] s = initial.getShape().getShape();
            n = n != null ? n : (int) s[0];
            w = w != null ? w : (int) s[3] * f;
            h = h != null ? h : (int) s[2] * f;
        }
        GenerationRequest.Builder b = GenerationRequest.builder(prompt).negativePrompt(negativePrompt).steps(steps)
                .guidanceScale(guidance).seed(seed).width(w).height(h).imagesPerPrompt(n == null ? 1 : n)
                .latents(initial).progress(new ProgressBar(err, System::nanoTime)).clipSkip(clipSkip);
        if (initial == null && n != null && n > 1) {
            // as A1111: image i gets seed + i and its own generator, so the seed in each PNG reproduces that image
            long base = seed != null ? seed : ThreadLocalRandom.current().nextLong(1L << 32);
            b.seed((Long) null).seeds(LongStream.range(0, n).map(i -> base + i).boxed().toList());
        }
        if (initImage != null) {
            b.initImage(initPixels).mask(maskPixels).resizeMode(ResizeMode.parse(resizeMode))
                    .legacyInpainting(legacyInpaint);
            if (strength != null) {
                b.strength(strength);
            }
        }
        b.promptSyntax(PromptSyntax.parse(promptSyntax)).rng(Rng.parse(rng)); // checked by checkArguments
        b.outputs(saveLatents == null ? new OutputType[] {OutputType.IMAGES}
                : new OutputType[] {OutputType.IMAGES, OutputType.ARRAY, OutputType.LATENTS});
        try {
            return pipe.generate(b.build());
        } catch (GenerationRequestException e) {
            String option = OPTION_OF.getOrDefault(e.field(), e.field());
            String file = e.field().equals("latents") ? " " + latents : "";
            throw bad(option + file + ": " + e.getMessage());
        } catch (PromptException e) {
            throw bad(e.getMessage());
        }
    }

    // ---- plain prompt syntax: diffusers cuts prompts at the text encoder's length; say so, as diffusers logs it

    private void warnTruncation(DiffusionPipeline pipe, PrintWriter err) {
        if (PromptSyntax.parse(promptSyntax) != PromptSyntax.PLAIN) {
            return; // a1111 syntax chunks long prompts, nothing is dropped
        }
        int room = pipe.tokenizer().modelMaxLength() - 2; // BOS and EOS take two places
        for (String[] p : new String[][] {{"--prompt", prompt}, {"--negative-prompt", negativePrompt}}) {
            List<String> tokens = pipe.tokenizer().tokens(p[1]);
            if (tokens.size() > room) {
                String dropped = String.join("", tokens.subList(room, tokens.size())).replace("</w>", " ").strip();
                err.println("warning: " + p[0] + " has " + tokens.size() + " tokens; with --prompt-syntax plain the"
                        + " text encoder sees only the first " + room + ", dropping: \"" + dropped + "\" (use"
                        + " --prompt-syntax a1111 for long prompts)");
            }
        }
    }

    /** What can be checked before loading anything fails fast with exit code 2. */
    private void checkArguments() {
        try {
            PromptSyntax.parse(promptSyntax);
        } catch (PromptException e) {
            throw bad("--prompt-syntax: " + e.getMessage());
        }
        try {
            Rng.parse(rng);
        } catch (GenerationRequestException e) {
            throw bad("--rng: " + e.getMessage());
        }
        for (Object[] size : new Object[][] {{"--width", width}, {"--height", height}}) {
            Integer v = (Integer) size[1];
            try {
                if (v != null) {
                    SizeLimits.checkSide((String) size[0], v);
                }
            } catch (SizeLimits.SizeLimitException e) {
                throw bad(e.getMessage());
            }
        }
        if (model.isBlank()) {
            throw bad("--model is empty: name a pipeline folder or a hub id such as runwayml/stable-diffusion-v1-5");
        }
        if (steps < 1) {
            throw bad("--steps " + steps + " must be at least 1");
        }
        if (numImages != null && numImages < 1) {
            throw bad("--num-images " + numImages + " must be at least 1");
        }
        if (!Double.isFinite(guidance)) {
            throw bad("--guidance " + guidance + " must be a number");
        }
        checkImageArguments();
        List<LoraSpec> specs = new ArrayList<>();
        for (String l : loras) {
            LoraSpec parsed;
            try {
                parsed = LoraSpec.parse(l);
            } catch (BkdException e) {
                throw bad(e.getMessage());
            }
            parsed = new LoraSpec(cli.resolve(parsed.file().toString()), parsed.scale());
            if (!Files.exists(parsed.file())) {
                int colon = l.lastIndexOf(':');
                if (colon > 0 && Files.exists(cli.resolve(l.substring(0, colon)))) {
                    throw bad("--lora " + l + ": SCALE `" + l.substring(colon + 1) + "` after ':' is not a number"
                            + " (expected FILE:SCALE, e.g. " + l.substring(0, colon) + ":0.8)");
                }
                throw bad("--lora " + l + ": LoRA file " + parsed.file() + " does not exist");
            }
            specs.add(parsed);
        }
        loraSpecs = specs;
        if (scheduler != null && !Arrays.asList(Schedulers.names()).contains(scheduler)) {
            throw bad("--scheduler \"" + scheduler + "\" is not one of " + String.join(", ", Schedulers.names()));
        }
        AtomicFiles.requireWritableFolder(out, "--out"); // before loading and denoising, not after
    }

    private void checkImageArguments() {
        if (initImage == null) {
            String stray = mask != null ? "--mask" : strength != null ? "--strength" : legacyInpaint
                    ? "--legacy-inpaint" : null;
            if (stray != null) {
                throw bad(stray + " needs --init-image FILE");
            }
        }
        if (strength != null && !(strength > 0 && strength <= 1)) {
            throw bad("--strength " + strength + " must be in (0, 1] (1 repaints from pure noise)");
        }
        if (legacyInpaint && mask == null) {
            throw bad("--legacy-inpaint needs --mask FILE");
        }
        try {
            ResizeMode.parse(resizeMode);
        } catch (BkdException e) {
            throw bad("--resize-mode: " + e.getMessage());
        }
        if (initImage != null) {
            initPixels = readImage("--init-image", cli.resolve(initImage.toString()));
            maskPixels = mask == null ? null : readImage("--mask", cli.resolve(mask.toString()));
            if (maskPixels != null && (maskPixels.getWidth() != initPixels.getWidth()
                    || maskPixels.getHeight() != initPixels.getHeight())) {
                throw bad("--mask " + mask + " is " + maskPixels.getWidth() + "x" + maskPixels.getHeight()
                        + " pixels but --init-image " + initImage + " is " + initPixels.getWidth() + "x"
                        + initPixels.getHeight() + "; give a mask of the image's size");
            }
        }
    }

    private BufferedImage readImage(String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw bad(option + " " + file + ": no such file");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw bad(option + " " + file + ": cannot read it: " + e.getMessage());
        }
        if (img == null) {
            throw bad(option + " " + file + (Files.exists(file) ? ": not an image format Java reads (use PNG, JPEG,"
                    + " BMP or GIF)" : ": no such file"));
        }
        return img;
    }

    private NDArray readLatents(NDManager manager) {
        NDArray l;
        try (SafetensorsFile f = SafetensorsFile.open(latents)) {
            if (!f.contains("latents")) {
                throw bad("--latents " + latents + " has no tensor `latents` (found: " + f.names() + ")");
            }
            l = f.load("latents", manager);
        } catch (BkdException e) {
            throw bad("--latents " + latents + ": " + e.getMessage());
        }
        if (l.getShape().dimension() != 4) {
            throw bad("--latents " + latents + ": `latents` has shape " + l.getShape()
                    + "; expected (N, 4, height/8, width/8)");
        }
        if (l.getShape().get(0) == 0) { // else the empty batch surfaces as a --num-images error
            throw bad("--latents " + latents + ": `latents` has shape " + l.getShape()
                    + ", a batch of 0 images; expected (N >= 1, 4, height/8, width/8)");
        }
        DataType t = l.getDataType();
        if (t != DataType.FLOAT32 && t != DataType.FLOAT16 && t != DataType.FLOAT64) {
            throw bad("--latents " + latents + ": `latents` is " + t + "; expected floats");
        }
        return l;
    }

    private void writeLatents(GenerationResult result, NDManager manager) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("latents", result.latents().toNDArray(manager));
        tensors.put("image", result.image().toNDArray(manager));
        try {
            Path parent = saveLatents.toAbsolutePath().getParent();
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new BkdException(saveLatents + ": cannot create its folder: " + e.getMessage(), e);
        }
        SafetensorsWriter.write(saveLatents, tensors,
                Map.of("format", "pt", "parameters", result.parameters().get(0).toInfotext()));
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
