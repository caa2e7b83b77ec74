package dev.bkd.train.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.random.Generator;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.finetune.DenoisingLoss;
import dev.bkd.train.finetune.MinSnrWeighting;
import dev.bkd.train.loop.DiffusionBatch;
import dev.bkd.train.loop.LossTerms;
import dev.bkd.train.loop.Objective;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * UNet LoRA with the text-to-image objective ({@link DenoisingLoss}: MSE on the noise or velocity, optionally
 * min-SNR weighted). The base UNet is frozen; adapter {@value Lora#DEFAULT_ADAPTER} on every layer the config
 * targets starts as PEFT starts it (A kaiming-uniform from the given generator, B zero: step 0 is the base model),
 * and only its A/B weights train. {@link #save} writes the diffusers/PEFT LoRA file.
 */
public final class LoraObjective implements Objective {
    public static final String NAME = "lora";

    private final UNet2DConditionModel unet;
    private final MinSnrWeighting weighting;
    private final LoraAdapter adapter;
    private final Map<String, NDArray> trainable;

    /** {@code weighting} null: plain MSE. {@code init} draws the A matrices. */
    public LoraObjective(UNet2DConditionModel unet, LoraConfig config, Generator init, MinSnrWeighting weighting) {
        this.unet = unet;
        this.weighting = weighting;
        checkTargets(unet, config);
        DataType t = Weights.stateDict(unet).values().iterator().next().getDataType();
        if (t != DataType.FLOAT32) {
            throw new IllegalArgumentException("the UNet must be float32 to train LoRA on it, it is " + t);
        }
        Weights.setTrainable(unet, false);
        this.adapter = Lora.add(unet, Lora.DEFAULT_ADAPTER, config, init);
        adapter.setTrainable(true);
        this.trainable = adapter.parameters();
    }

    /** Every target must match some Linear/Conv2d: a typo would otherwise just train fewer layers. */
    static void checkTargets(UNet2DConditionModel unet, LoraConfig config) {
        Set<String> paths = Lora.adaptable(unet).keySet();
        for (String target : config.targets()) {
            LoraConfig one = config.withTargets(List.of(target));
            if (paths.stream().noneMatch(one::targets)) {
                throw new ConfigException("LoRA target `" + target + "` matches no Linear or Conv2d layer of the UNet;"
                        + " a target is a layer name or the end of its dotted path, e.g. to_q, to_k, to_v, to_out.0,"
                        + " proj_in, proj_out, ff.net.0.proj, ff.net.2");
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

    /** The adapter being trained (live A/B arrays). */
    public LoraAdapter adapter() {
        return adapter;
    }

    /** Only the adapter's {@code <path>.lora_A.weight} / {@code .lora_B.weight}. */
    @Override
    public Map<String, NDArray> trainable() {
        return trainable;
    }

    @Override
    public LossTerms loss(DiffusionBatch b) {
        NDArray pred = unet.forward(b.noisyLatents(), b.timesteps(), b.encoderHiddenStates());
        return DenoisingLoss.of(pred, b, weighting);
    }

    /** {@value LoraFiles#WEIGHT_NAME} in {@code outputDir}: keys {@code unet.<path>.lora_A.weight}, r/alpha in metadata. */
    @Override
    public void save(Path outputDir) {
        LoraFiles.save(outputDir, Map.of(LoraFiles.UNET, adapter));
    }
}
