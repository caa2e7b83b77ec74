package dev.bkd.train.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.nn.Autocast;
import dev.bkd.core.nn.Module;
import dev.bkd.core.ops.Ops;
import dev.bkd.core.random.Generator;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.train.denoise.DenoisingLoss;
import dev.bkd.train.denoise.MinSnrWeighting;
import dev.bkd.train.loop.DiffusionBatch;
import dev.bkd.train.loop.LossTerms;
import dev.bkd.train.loop.UNetPass;
import dev.bkd.train.loop.Objective;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LoRA with the text-to-image objective ({@link DenoisingLoss}: MSE on the noise or velocity, optionally min-SNR
 * weighted). The base models are frozen; adapter {@value Lora#DEFAULT_ADAPTER} on every targeted layer starts as
 * PEFT starts it (A kaiming-uniform from the given generator, B zero: step 0 is the base model), and only the A/B
 * weights train. With a text encoder, its adapters train too and each step encodes the batch's captions through
 * it (the data's cached prompt embeddings are not used). {@link #save} writes the diffusers/PEFT LoRA file.
 */
public final class LoraObjective implements Objective {
    private boolean checkpointing;
    private boolean autocast;
    public static final String NAME = "lora";

    /** A text encoder to put adapters on: the model, its tokenizer (closed with the objective) and the targets. */
    public record TextEncoder(ClipTextModel model, ClipTokenizer tokenizer, LoraConfig config) {}

    private final UNet2DConditionModel unet;
    private final TextEncoder textEncoder;
    private final MinSnrWeighting weighting;
    private final Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();

    /** UNet LoRA only. {@code weighting} null: plain MSE. {@code init} draws the A matrices. */
    public LoraObjective(UNet2DConditionModel unet, LoraConfig config, Generator init, MinSnrWeighting weighting) {
        this(unet, config, null, init, weighting);
    }

    /** {@code textEncoder} null: UNet LoRA only. A is drawn from {@code init}, UNet layers first. */
    public LoraObjective(UNet2DConditionModel unet, LoraConfig config, TextEncoder textEncoder, Generator init,
                         MinSnrWeighting weighting) {
        this.unet = unet;
        this.textEncoder = textEncoder;
        this.weighting = weighting;
        try {
            checkTargets(unet, config, "UNet", "--targets");
            if (textEncoder != null) {
                checkTargets(textEncoder.model(), textEncoder.config(), "text encoder", "--text-encoder-targets");
            }
            adapt(LoraFiles.UNET, unet, config, init);
            if (textEncoder != null) {
                adapt(LoraFiles.TEXT_ENCODER, textEncoder.model(), textEncoder.config(), init);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Freezes {@code model} and adds a trainable adapter; its A/B join {@link #trainable} as {@code <component>.<name>}. */
    private void adapt(String component, Module model, LoraConfig config, Generator init) {
        DataType t = Weights.stateDict(model).values().iterator().next().getDataType();
        if (t != DataType.FLOAT32) {
            throw new IllegalArgumentException("the " + component + " must be float32 to train LoRA on it, it is " + t);
        }
        Weights.setTrainable(model, false);
        LoraAdapter a = Lora.add(model, Lora.DEFAULT_ADAPTER, config, init);
        a.setTrainable(true);
        adapters.put(component, a);
        a.parameters().forEach((k, v) -> trainable.put(component + "." + k, v));
    }

    /** Every target must match some Linear/Conv2d: a typo would otherwise just train fewer layers. */
    static void checkTargets(Module model, LoraConfig config, String what, String option) {
        Set<String> paths = Lora.adaptable(model).keySet();
        for (String target : config.targets()) {
            LoraConfig one = config.withTargets(List.of(target));
            if (paths.stream().noneMatch(one::targets)) {
                throw new ConfigException(option + ": LoRA target `" + target + "` matches no Linear or Conv2d layer"
                        + " of the " + what + "; a target is a layer name or the end of its dotted path, e.g. "
                        + (what.equals("UNet") ? "to_q, to_k, to_v, to_out.0, proj_in, proj_out, ff.net.0.proj"
                        : "q_proj, k_proj, v_proj, out_proj, fc1, fc2"));
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    /** The UNet adapter being trained (live A/B arrays). */
    public LoraAdapter adapter() {
        return adapters.get(LoraFiles.UNET);
    }

    /** The adapters being trained by component ({@code unet}, {@code text_encoder}). */
    public Map<String, LoraAdapter> adapters() {
        return Collections.unmodifiableMap(adapters);
    }

    /** The text encoder with its adapter, or null when it stays frozen. */
    public ClipTextModel textEncoder() {
        return textEncoder == null ? null : textEncoder.model();
    }

    /** Only the adapters' A/B, named as in the LoRA file: {@code unet.<path>.lora_A.weight}, .... */
    @Override
    public Map<String, NDArray> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    @Override
    public LossTerms loss(DiffusionBatch b) {
        NDArray text = textEncoder == null ? b.encoderHiddenStates() : autocastEncode(b);
        UNetPass pass = UNetPass.run(unet, b.noisyLatents(), b.timesteps(), text, List.of(), checkpointing, autocast);
        return pass.attach(DenoisingLoss.of(pass.output().sample(), b, weighting));
    }

    @Override
    public void gradientCheckpointing(boolean on) {
        checkpointing = on;
    }

    /** The UNet's forward, and the text encoder's when its adapters train, under autocast. */
    @Override
    public boolean autocast(boolean on) {
        autocast = on;
        return true;
    }

    /** {@link #encode} under autocast when it is on; the states come back float32, the UNet's input dtype. */
    private NDArray autocastEncode(DiffusionBatch b) {
        if (!autocast) {
            return encode(b);
        }
        try (Autocast a = Autocast.fp16()) {
            return Ops.cast(encode(b), DataType.FLOAT32);
        }
    }

    /** The captions through the adapted text encoder, recording gradients for its adapters. */
    private NDArray encode(DiffusionBatch b) {
        NDArray ids = b.noisyLatents().getManager().create(textEncoder.tokenizer().encodeBatch(b.captions()));
        return textEncoder.model().forward(ids).lastHiddenState();
    }

    /** {@value LoraFiles#WEIGHT_NAME} in {@code outputDir}: keys {@code unet.<path>.lora_A.weight}, r/alpha in metadata. */
    @Override
    public void save(Path outputDir) {
        LoraFiles.save(outputDir, adapters);
    }

    @Override
    public void close() {
        if (textEncoder != null) {
            textEncoder.tokenizer().close();
        }
    }
}
