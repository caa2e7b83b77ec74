package dev.bkd.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.models.eval.ClipFeatures;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.PromptFile;
import dev.bkd.train.eval.ClipScoreEvaluator;
import dev.bkd.train.loop.HeldOutImages;
import dev.bkd.train.loop.TrainingLoop;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** Evaluation during training (distill, finetune, lora): validation loss, CLIP score, keeping the best weights. */
final class EvalMixin {
    private static final Logger LOG = LoggerFactory.getLogger(EvalMixin.class);

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "0", description = "Every N steps log the loss"
            + " terms on the --eval-data images (val_*; without it on one fixed training batch: fixed_train_*) and,"
            + " with --eval-prompts and --clip, the CLIP score (clip_score) into metrics.jsonl and the loss plot."
            + " Default: off.")
    int every;

    @Option(names = "--eval-data", paramLabel = "DIR", description = "Held-out captioned images for the validation"
            + " loss (the layouts of --data); the same images, noise and timesteps at every evaluation.")
    Path data;

    @Option(names = "--eval-batch", paramLabel = "N", defaultValue = "4",
            description = "How many --eval-data images the validation loss uses. Default: ${DEFAULT-VALUE}.")
    int batch;

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
                    + " another val_* term, which need --eval-data, or a fixed_train_* term: lowest).")
    String keepBest;

    /**
     * Attaches the evaluation to {@code loop}; the returned evaluator (null without a CLIP score) must be closed
     * after the run. {@code base} supplies the encoders and VAE the pictures are drawn with and the held-out images
     * are encoded with; those are read like the training data ({@code dataset}) at its {@code resolution}.
     */
    ClipScoreEvaluator attach(TrainingLoop loop, Path base, UNet2DConditionModel unet, long seed, Device device,
            NDManager manager, DatasetOptions dataset, int resolution) {
        if (every <= 0) {
            if (prompts != null || keepBest != null || data != null) {
                throw new ConfigException("--eval-prompts, --eval-data and --keep-best need --eval-every N");
            }
            return null;
        }
        HeldOutImages heldOut = heldOut(unet, base, dataset, resolution);
        if ((prompts == null) != (clip == null)) {
            throw new ConfigException("the CLIP score needs both --eval-prompts FILE and --clip DIR");
        }
        ClipScoreEvaluator e = prompts == null ? null : new ClipScoreEvaluator(base, unet, PromptFile.read(prompts),
                steps, seed, device, ClipFeatures.load(clip, manager, 8));
        loop.evaluation(e, every, keepBest, heldOut);
        return e;
    }

    /**
     * The --eval-data images, or null. Without them the loss is measured on a fixed training batch (kept, because it
     * still shows whether the run fits, and --eval-every also drives the CLIP score, which needs no images). A
     * diffusers/Trainer user reads "validation loss" as held-out (Trainer's eval loss needs an eval_dataset), so
     * those terms are named fixed_train_*, a warning says so, and --keep-best on a val_* term is refused rather
     * than silently selecting on training data.
     */
    private HeldOutImages heldOut(UNet2DConditionModel unet, Path base, DatasetOptions dataset, int resolution) {
        if (data == null) {
            if (keepBest != null && keepBest.startsWith("val_")) {
                throw new ConfigException("--keep-best " + keepBest + " needs held-out images: add --eval-data DIR"
                        + " (without it the fixed training batch's terms are fixed_train_*)");
            }
            LOG.warn("--eval-every without --eval-data: the loss is measured on a fixed batch of the training data"
                    + " (logged as fixed_train_*), not on held-out images");
            return null;
        }
        if (batch <= 0) {
            throw new ConfigException("--eval-batch must be positive, got " + batch);
        }
        if (unet.config().inChannels() != unet.config().outChannels()) {
            throw new ConfigException("--eval-data: this UNet takes extra input channels made from the images"
                    + " (in_channels " + unet.config().inChannels() + ", e.g. inpainting) that the held-out loss"
                    + " does not make; drop --eval-data");
        }
        return HeldOutImages.open(data, dataset, resolution, batch, base);
    }
}
