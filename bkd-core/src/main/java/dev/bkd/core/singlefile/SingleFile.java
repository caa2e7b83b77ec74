package dev.bkd.core.singlefile;

import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * An original-layout (LDM / A1111 / ComfyUI) Stable Diffusion checkpoint: one {@code .safetensors}, or a
 * {@code .ckpt}/{@code .pt} read weights-only. Each component is offered as a lazy {@link StateDict} under its
 * diffusers keys ({@link #unet}, {@link #vae}, {@link #textEncoder}); every file tensor is either placed by one
 * of them, ignored as a known unused buffer, or reported as unexpected ({@link #unaccounted}).
 */
public final class SingleFile implements AutoCloseable {
    /** LDM's EMA copy of the UNet lives under this prefix, with the dots of the key removed. */
    public static final String EMA_PREFIX = "model_ema.";
    /** Standard SD key whose input width tells SD1 (768, CLIP ViT-L) from SD2 (1024, OpenCLIP ViT-H), as diffusers does. */
    static final String CROSS_ATTENTION_KEY = "model.diffusion_model.input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight";

    private final Path path;
    private final StateDict file;

    private SingleFile(Path path, StateDict file) {
        this.path = path;
        this.file = file;
    }

    /** Opens {@code file} (safetensors, or a torch archive read weights-only); nothing is loaded yet. */
    public static SingleFile open(Path file) {
        return new SingleFile(file, StateDicts.open(file));
    }

    public Path path() {
        return path;
    }

    /** The raw file tensors under their single-file names. */
    public StateDict raw() {
        return file;
    }

    /** True when the file has a UNet in the LDM layout ({@code model.diffusion_model.*}). */
    public boolean hasUnet() {
        return file.keys().stream().anyMatch(k -> k.startsWith(LdmComponent.UNET.prefix()));
    }

    /** True when the UNet's EMA copy is in the file (besides the non-EMA weights). */
    public boolean hasEma() {
        return file.keys().stream().anyMatch(k -> k.startsWith(EMA_PREFIX + "diffusion_model"));
    }

    /** SD1.x CLIP or SD2.x OpenCLIP text keys, or empty when the file has no text encoder. */
    public Optional<LdmComponent> textEncoderKind() {
        for (LdmComponent c : List.of(LdmComponent.TEXT_CLIP, LdmComponent.TEXT_OPENCLIP)) {
            if (file.keys().stream().anyMatch(k -> k.startsWith(c.prefix()))) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The cross-attention width of the UNet (768 for SD1.x, 1024 for SD2.x), or empty for a non-standard file. */
    public Optional<Long> crossAttentionDim() {
        if (!file.contains(CROSS_ATTENTION_KEY)) {
            return Optional.empty();
        }
        long[] s = file.spec(CROSS_ATTENTION_KEY).shape().getShape();
        return Optional.of(s[s.length - 1]);
    }

    /**
     * The input channels of the UNet's first conv ({@code input_blocks.0.0}): 4 for text-to-image, 9 for
     * inpainting models; empty when the file has no such tensor.
     */
    public Optional<Long> unetInChannels() {
        String key = "model.diffusion_model.input_blocks.0.0.weight";
        if (!file.contains(key)) {
            return Optional.empty();
        }
        long[] s = file.spec(key).shape().getShape();
        return s.length == 4 ? Optional.of(s[1]) : Optional.empty();
    }

    /** The UNet under diffusers keys; {@code ema} reads LDM's EMA copy (an error when the file has none). */
    public LdmComponentView unet(boolean ema) {
        if (!hasUnet()) {
            throw new SingleFileException(path + ": no UNet in the original layout (no `model.diffusion_model.*`"
                    + " tensors); is it a diffusers component file or a VAE/LoRA file?");
        }
        if (ema && !hasEma()) {
            throw new SingleFileException(path + ": EMA weights were asked for, but the file has no `model_ema.*`"
                    + " UNet tensors (a pruned checkpoint keeps one set only); load without the EMA option");
        }
        LdmComponentView v = LdmComponentView.of(file, LdmComponent.UNET.prefix(), LdmKeyMap.of(LdmComponent.UNET, 0),
                ema ? EMA_PREFIX : null);
        if (ema) {
            for (String k : v.keys()) {
                if (!file.contains(v.fileKey(k))) {
                    throw new SingleFileException(path + ": the EMA copy of `" + k + "` (`" + v.fileKey(k) + "`) is"
                            + " missing; load the non-EMA weights instead");
                }
            }
        }
        return v;
    }

    /** The VAE under diffusers keys: {@code first_stage_model.*} of a full file, or a standalone LDM VAE file. */
    public LdmComponentView vae() {
        String prefix = file.keys().stream().anyMatch(k -> k.startsWith(LdmComponent.VAE.prefix()))
                ? LdmComponent.VAE.prefix() : "";
        LdmComponentView v = LdmComponentView.of(file, prefix, LdmKeyMap.of(LdmComponent.VAE, 0), null);
        if (v.keys().isEmpty()) {
            throw new SingleFileException(path + ": no VAE in the original layout (no `first_stage_model.*` tensors"
                    + " and no standalone `encoder.down.*`/`decoder.up.*` keys)");
        }
        return v;
    }

    /** The text encoder under transformers keys; {@code layers} is the config's num_hidden_layers (SD2: see README). */
    public LdmComponentView textEncoder(int layers) {
        LdmComponent kind = textEncoderKind().orElseThrow(() -> new SingleFileException(path + ": no text encoder"
                + " (neither `cond_stage_model.transformer.*` (SD1.x) nor `cond_stage_model.model.*` (SD2.x) tensors)"));
        return LdmComponentView.of(file, kind.prefix(), LdmKeyMap.of(kind, layers), null);
    }

    /**
     * The file tensors none of {@code views} placed, split into ignored (known unused: LDM schedule buffers,
     * unused EMA copy, SD2's last text block) and unexpected (everything else).
     */
    public Accounting unaccounted(LdmComponentView... views) {
        java.util.Set<String> used = new java.util.HashSet<>();
        for (LdmComponentView v : views) {
            for (String k : v.keys()) {
                used.add(v.fileKey(k));
                // an EMA load also consumes the non-EMA names it enumerated
            }
        }
        List<String> ignored = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        java.util.Set<String> enumerated = new java.util.HashSet<>();
        Arrays.stream(views).forEach(v -> enumerated.addAll(v.enumerated()));
        for (String k : file.keys()) {
            if (used.contains(k) || enumerated.contains(k)) {
                continue;
            }
            (LdmKeyMap.ignorable(k) ? ignored : unexpected).add(k);
        }
        return new Accounting(used.size(), List.copyOf(ignored), List.copyOf(unexpected));
    }

    /** How the file's tensors were used: placed, ignored as known-unused, unexpected. */
    public record Accounting(int placed, List<String> ignored, List<String> unexpected) {}

    @Override
    public void close() {
        file.close();
    }
}
