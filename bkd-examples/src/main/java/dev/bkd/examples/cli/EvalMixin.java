package dev.bkd.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.models.eval.ClipFeatures;
import dev.bkd.train.data.PromptFile;
import dev.bkd.train.eval.ClipScoreEvaluator;
import dev.bkd.train.loop.TrainingLoop;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Evaluation during training (distill, finetune, lora): validation loss, CLIP score, keeping the best weights. */
final class EvalMixin {
    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "0", description = "Every N steps log the loss"
            + " terms on one fixed batch (val_*) and, with --eval-prompts and --clip, the CLIP score (clip_score)"
            + " into metrics.jsonl and the loss plot. Default: off.")
    int every;

    @Option(names = "--eval-prompts", paramLabel = "FILE",
            description = "Prompts for the CLIP score (txt, or jsonl/csv with `text`); prompt i is drawn from seed + i.")
    Path prompts;

    @Option(names = "--eval-steps", paramLabel = "N", defaultValue = "25",
            description = "Denoising steps per evaluation picture. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--clip", paramLabel = "DIR|FILE",
            description = "transformers CLIP folder for the CLIP score (e.g. openai/clip-vit-large-patch14).")
    Path clip;

    @Option(names = "--keep-best", paramLabel = "METRIC",
            description = "Save the weights with the best METRIC so far to best/ (clip_score: highest; val_loss or"
                    + " another val_* term: lowest).")
    String keepBest;

    /**
     * Attaches the evaluation to {@code loop}; the returned evaluator (null without a CLIP score) must be closed
     * after the run. {@code base} supplies the encoders and VAE the pictures are drawn with.
     */
    ClipScoreEvaluator attach(TrainingLoop loop, Path base, UNet2DConditionModel unet, long seed, Device device,
            NDManager manager) {
        if (every <= 0) {
            if (prompts != null || keepBest != null) {
                throw new ConfigException("--eval-prompts and --keep-best need --eval-every N");
            }
            return null;
        }
        if ((prompts == null) != (clip == null)) {
            throw new ConfigException("the CLIP score needs both --eval-prompts FILE and --clip DIR");
        }
        ClipScoreEvaluator e = prompts == null ? null : new ClipScoreEvaluator(base, unet, PromptFile.read(prompts),
                steps, seed, device, ClipFeatures.load(clip, manager, 8));
        loop.evaluation(e, every, keepBest);
        return e;
    }
}
