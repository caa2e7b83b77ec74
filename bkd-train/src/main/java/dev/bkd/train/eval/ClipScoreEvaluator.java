package dev.bkd.train.eval;

import ai.djl.Device;
import dev.bkd.core.djl.Autograd;
import dev.bkd.models.eval.ClipFeatures;
import dev.bkd.models.eval.ClipScore;
import dev.bkd.models.eval.RgbImage;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.train.loop.Evaluator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CLIP score of the weights being trained: the base pipeline's encoders and VAE with the live UNet draw one
 * picture per prompt (prompt i from seed + i, the same at every evaluation), scored like torchmetrics' CLIPScore.
 * Nothing is written; no gradient is recorded.
 */
public final class ClipScoreEvaluator implements Evaluator, AutoCloseable {
    private final Path base;
    private final UNet2DConditionModel unet;
    private final List<String> prompts;
    private final int steps;
    private final long seed;
    private final Device device;
    private final ClipFeatures clip;

    public ClipScoreEvaluator(Path base, UNet2DConditionModel unet, List<String> prompts, int steps, long seed,
            Device device, ClipFeatures clip) {
        this.base = base;
        this.unet = unet;
        this.prompts = List.copyOf(prompts);
        this.steps = steps;
        this.seed = seed;
        this.device = device;
        this.clip = clip;
    }

    @Override
    public Map<String, Double> evaluate(long step) {
        List<RgbImage> images = new ArrayList<>();
        try (DiffusionPipeline t = DiffusionPipeline.fromPretrained(base, PipelineOptions.defaults().withDevice(device));
             DiffusionPipeline p = t.withUnet(unet, t.modelName() + " at step " + step);
             Autograd.NoGrad ng = Autograd.noGrad()) {
            for (int i = 0; i < prompts.size(); i++) {
                images.add(RgbImage.of(p.generate(GenerationRequest.builder(prompts.get(i)).steps(steps)
                        .seed(seed + i).build()).images().get(0)));
            }
        }
        double score = new ClipScore().update(clip.pairScores(images, prompts)).compute();
        return Map.of("clip_score", score);
    }

    @Override
    public void close() {
        clip.close();
    }
}
