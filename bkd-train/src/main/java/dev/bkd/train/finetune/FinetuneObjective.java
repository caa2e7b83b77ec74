package dev.bkd.train.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.denoise.DenoisingLoss;
import dev.bkd.train.denoise.MinSnrWeighting;
import dev.bkd.train.loop.PipelineExport;
import dev.bkd.train.loop.DiffusionBatch;
import dev.bkd.train.loop.LossTerms;
import dev.bkd.train.loop.UNetPass;
import dev.bkd.train.loop.Objective;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Full fine-tuning with the standard text-to-image objective: MSE between the UNet's prediction and the target
 * (the noise for epsilon, the velocity for v_prediction), optionally min-SNR weighted per sample. Every UNet
 * parameter trains; the text encoder and VAE stay frozen (their outputs can be cached).
 */
public final class FinetuneObjective implements Objective {
    private boolean checkpointing;
    private boolean autocast;
    public static final String NAME = "finetune";

    private final UNet2DConditionModel unet;
    private final MinSnrWeighting weighting;
    private final Path basePipeline;
    private final Map<String, NDArray> trainable;

    /** {@code weighting} null: plain MSE. {@code basePipeline} supplies the other components of the output. */
    public FinetuneObjective(UNet2DConditionModel unet, MinSnrWeighting weighting, Path basePipeline) {
        this.unet = unet;
        this.weighting = weighting;
        this.basePipeline = basePipeline;
        Weights.setTrainable(unet, true);
        this.trainable = Weights.stateDict(unet);
        DataType t = trainable.values().iterator().next().getDataType();
        if (t != DataType.FLOAT32) {
            throw new IllegalArgumentException("the UNet must be float32 to train, it is " + t);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    @Override
    public Map<String, NDArray> trainable() {
        return trainable;
    }

    @Override
    public LossTerms loss(DiffusionBatch b) {
        UNetPass pass = UNetPass.run(unet, b.noisyLatents(), b.timesteps(), b.encoderHiddenStates(), List.of(), checkpointing,
                autocast);
        return pass.attach(DenoisingLoss.of(pass.output().sample(), b, weighting));
    }

    @Override
    public void gradientCheckpointing(boolean on) {
        checkpointing = on;
    }

    @Override
    public boolean autocast(boolean on) {
        autocast = on;
        return true;
    }

    /** A complete pipeline folder: the trained {@code unet/} and the base pipeline's other components. */
    @Override
    public void save(Path outputDir) {
        PipelineExport.write(basePipeline, unet, outputDir);
    }
}
