package dev.bkd.examples.cli;

import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.lora.LoraOptions;
import dev.bkd.train.lora.LoraTrainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bkd lora}: LoRA training of a pipeline's UNet on captioned images. */
@Command(name = "lora", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train LoRA adapters on a pipeline's UNet, and with --train-text-encoder its text encoder"
            + " (diffusers' train_text_to_image_lora): the base weights stay frozen, only the adapters' A/B weights train on the text-to-image objective (MSE on the noise or"
            + " velocity; optional min-SNR weighting), on the shared training loop (latent cache, AdamW, LR schedule,"
            + " EMA, accumulation, checkpoints and --resume, validation samples, metrics.jsonl, loss.png). Writes"
            + " pytorch_lora_weights.safetensors into --out, loadable by bkd generate --lora and diffusers'"
            + " load_lora_weights.")
final class LoraCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|FILE",
            description = "Pipeline folder or single-file checkpoint whose UNet gets the adapters.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (run files and the LoRA file).")
    Path out;

    @Mixin
    ModelDataMixin data;

    @Mixin
    TrainingMixin training;

    @Mixin
    ValidationMixin validation;

    @Mixin
    DevicesMixin devices;

    @Option(names = "--rank", defaultValue = "4", paramLabel = "R", description = "LoRA rank. Default: ${DEFAULT-VALUE}.")
    int rank;

    @Option(names = "--alpha", paramLabel = "X", description = "LoRA alpha; the update is scaled by alpha / rank. Default: the rank.")
    Double alpha;

    @Option(names = "--targets", split = ",", paramLabel = "NAME[,NAME...]",
            description = "UNet layers to adapt: names or dotted path ends, e.g. proj_in, proj_out, ff.net.0.proj."
                + " Default: to_q,to_k,to_v,to_out.0.")
    List<String> targets;

    @Option(names = "--train-text-encoder",
            description = "Also train LoRA on the text encoder (captions are then encoded in every step).")
    boolean trainTextEncoder;

    @Option(names = "--text-encoder-targets", split = ",", paramLabel = "NAME[,NAME...]",
            description = "Text-encoder layers to adapt with --train-text-encoder. Default: q_proj,k_proj,v_proj,out_proj.")
    List<String> textEncoderTargets;

    @Option(names = "--snr-gamma", paramLabel = "GAMMA", description = "Min-SNR loss weighting with this gamma (5 is usual).")
    Double snrGamma;

    @Mixin
    VerboseMixin verbose;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @picocli.CommandLine.Mixin
    EvalMixin evaluation;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        model = checkpoint.folder(model, spec.commandLine().getErr());
        LoraOptions o = new LoraOptions(model, data.forModel(FinetuneCommand.defaultResolution(model)),
                devices.apply(training.config(validation.any())), devices.primary(null), out, rank, alpha == null ? rank : alpha, targets,
                snrGamma, validation.prompts, validation.steps, trainTextEncoder, textEncoderTargets);
        TrainResult r;
        try (LoraTrainer t = LoraTrainer.prepare(o);
             ai.djl.ndarray.NDManager evalManager = ai.djl.ndarray.NDManager.newBaseManager();
             var ev = evaluation.attach(t.loop(), model, t.objective().unet(), o.train().seed(),
                     ai.djl.Device.cpu(), evalManager, data.dataset(), o.data().resolution())) {
            r = t.run();
        }
        Path file = LoraTrainer.weightsFile(out).toAbsolutePath().normalize();
        Trained.report(w, r, out, "LoRA:", file);
        if (r.completed()) {
            w.printf("use it:     bkd generate --model %s --lora %s:1.0 --prompt \"...\"%n", model, file);
        }
        w.flush();
        return 0;
    }
}
