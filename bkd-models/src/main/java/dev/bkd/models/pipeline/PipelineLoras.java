package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.lora.LoraLoadReport;
import dev.bkd.core.lora.LoraLoader;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.models.clip.ClipTextModel;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LoRA adapters of one pipeline's UNet and text encoder: load (several at once), list, fuse, unfuse, remove.
 * {@link DiffusionPipeline#loras()} gives it; the pipeline's own LoRA methods delegate here. Every change waits
 * until no generation of the pipeline runs (and generations wait for it), see {@link PipelineLock}.
 */
public final class PipelineLoras {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionPipeline.class);
    private final UNet2DConditionModel unet;
    private final ClipTextModel textEncoder;
    private final PipelineLock lock;

    PipelineLoras(UNet2DConditionModel unet, ClipTextModel textEncoder, PipelineLock lock) {
        this.unet = unet;
        this.textEncoder = textEncoder;
        this.lock = lock;
    }

    /**
     * Adds a LoRA file (diffusers/PEFT, older diffusers or kohya; a folder means its
     * {@code pytorch_lora_weights.safetensors}) to the UNet and text encoder as adapter {@code default_<n>}, its
     * update multiplied by {@code scale}. Several can be active at once. Keys that fit no layer are logged and
     * listed in the report; see {@link #load(Path, double, String, boolean)} for a strict load.
     */
    public LoraLoadReport load(Path file, double scale) {
        int n = 0;
        while (names().contains("default_" + n)) {
            n++;
        }
        return load(file, scale, "default_" + n, false);
    }

    /** As {@link #load(Path, double)} with an adapter name; strict fails on any key it cannot place. */
    public LoraLoadReport load(Path file, double scale, String name, boolean strict) {
        LoraLoadReport r = lock.write("loading LoRA " + file, () -> LoraLoader.load(file,
                Map.of(LoraFiles.UNET, unet, LoraFiles.TEXT_ENCODER, textEncoder), name, scale, strict));
        LOG.info("LoRA {} as `{}` x{}: {} layers", file, name, scale, r.layers());
        return r;
    }

    /** Names of the loaded LoRA adapters, in load order. */
    public List<String> names() {
        return lock.read("listing LoRA adapters", () -> {
            LinkedHashSet<String> names = new LinkedHashSet<>(Lora.adapterNames(unet));
            names.addAll(Lora.adapterNames(textEncoder));
            return List.copyOf(names);
        });
    }

    /** Merges every loaded LoRA into the weights (faster steps); {@link #unfuse} restores them exactly. */
    public void fuse() {
        lock.write("fusing LoRA", () -> {
            Lora.fuse(unet, 1.0);
            Lora.fuse(textEncoder, 1.0);
        });
    }

    /** Restores the weights as they were before {@link #fuse}, bit for bit. */
    public void unfuse() {
        lock.write("unfusing LoRA", () -> {
            Lora.unfuse(unet);
            Lora.unfuse(textEncoder);
        });
    }

    /** Removes LoRA adapter {@code name} (unfuse first). */
    public void remove(String name) {
        lock.write("removing LoRA `" + name + "`", () -> removeUnlocked(name));
    }

    private void removeUnlocked(String name) {
        if (!names().contains(name)) {
            throw new BkdException("no LoRA `" + name + "` is loaded (loaded: " + names() + ")");
        }
        if (Lora.isFused(unet) || Lora.isFused(textEncoder)) {
            throw new BkdException("LoRA weights are fused: call unfuseLora() before removing `" + name + "`");
        }
        if (Lora.adapterNames(unet).contains(name)) {
            Lora.remove(unet, name);
        }
        if (Lora.adapterNames(textEncoder).contains(name)) {
            Lora.remove(textEncoder, name);
        }
    }
}
