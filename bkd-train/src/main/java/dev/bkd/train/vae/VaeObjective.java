package dev.bkd.train.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.djl.Scalars;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.vae.AutoencoderKL;
import dev.bkd.models.vae.DiagonalGaussianDistribution;
import dev.bkd.train.loop.PipelineExport;
import dev.bkd.train.loop.DiffusionBatch;
import dev.bkd.train.loop.LossTerms;
import dev.bkd.train.loop.Objective;
import dev.bkd.core.djl.Autograd;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains an AutoencoderKL as LDM's first stage does, minus the perceptual and adversarial terms: per-pixel MSE of
 * the reconstruction from a posterior sample plus {@code klWeight} times the KL to N(0, 1), both per image pixel
 * (so {@code klWeight} means what it means in LDM's summed losses). The posterior noise is the batch's
 * forward-process noise (standard normal, drawn from the loop's checkpointed generator), so a resumed run redraws
 * it exactly. On save, {@code scaling_factor} becomes 1 / std of the calibration images' latents (how SD's 0.18215
 * was set, here from the posterior's moments instead of one noise draw), so diffusion sees unit-variance latents.
 */
public final class VaeObjective implements Objective {
    public static final String NAME = "vae";

    private final AutoencoderKL vae;
    private final double klWeight;
    private final Path basePipeline;
    private final List<NDArray> calibration;
    private final Map<String, NDArray> trainable;

    public VaeObjective(AutoencoderKL vae, double klWeight, Path basePipeline, List<NDArray> calibration) {
        if (!(klWeight >= 0)) {
            throw new BkdException("--kl-weight must be >= 0, got " + klWeight);
        }
        this.vae = vae;
        this.klWeight = klWeight;
        this.basePipeline = basePipeline;
        this.calibration = List.copyOf(calibration);
        Weights.setTrainable(vae, true);
        this.trainable = Weights.stateDict(vae);
    }

    @Override
    public String name() {
        return NAME;
    }

    public AutoencoderKL vae() {
        return vae;
    }

    @Override
    public Map<String, NDArray> trainable() {
        return trainable;
    }

    @Override
    public LossTerms loss(DiffusionBatch b) {
        NDArray x = b.latents();
        DiagonalGaussianDistribution post = vae.encode(x);
        NDArray z = post.sample(epsilon(b.noise(), post.mean().getShape().size(), post.mean().getShape()));
        NDArray rec = vae.decode(z).sub(x).square().mean();
        NDArray kl = Scalars.div(post.kl().mean(), (float) (x.getShape().size() / x.getShape().get(0)));
        Map<String, NDArray> logged = new LinkedHashMap<>();
        NDArray total = rec.add(Scalars.mul(kl, (float) klWeight));
        logged.put("loss", total);
        logged.put("rec", rec);
        logged.put("kl", kl);
        return new LossTerms(total, logged);
    }

    /** The first {@code n} standard-normal values of the batch noise, shaped as the latent. */
    private static NDArray epsilon(NDArray noise, long n, ai.djl.ndarray.types.Shape latent) {
        if (n > noise.getShape().size()) {
            throw new BkdException("VAE training: the latent (" + latent + ") has more values than the image ("
                    + noise.getShape() + "); bkd trains VAEs that compress");
        }
        return noise.reshape(-1).get("0:" + n).reshape(latent);
    }

    /**
     * 1 / std of the latents the diffusion model will see: over the calibration images' posteriors,
     * Var[z] = E[mean^2 + std^2] - E[mean]^2, computed exactly rather than from a noise sample.
     */
    public double scalingFactor() {
        double sum = 0;
        double sum2 = 0;
        long count = 0;
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            for (NDArray pixels : calibration) {
                try (NDManager m = pixels.getManager().newSubManager()) {
                    NDArray p = pixels.duplicate();
                    p.attach(m); // the posterior's arrays land in p's manager and go with it
                    DiagonalGaussianDistribution post = vae.encode(p);
                    float[] mean = post.mean().toType(DataType.FLOAT32, false).toFloatArray();
                    float[] std = post.std().toType(DataType.FLOAT32, false).toFloatArray();
                    for (int i = 0; i < mean.length; i++) {
                        sum += mean[i];
                        sum2 += (double) mean[i] * mean[i] + (double) std[i] * std[i];
                    }
                    count += mean.length;
                }
            }
        }
        double mu = sum / count;
        return 1 / Math.sqrt(Math.max(sum2 / count - mu * mu, 1e-12));
    }

    /** A pipeline folder: the trained {@code vae/} (with its scaling factor) and the base pipeline's other components. */
    @Override
    public void save(Path outputDir) {
        double scaling = scalingFactor();
        AutoencoderKLConfig c = vae.config();
        PipelineExport.write(basePipeline, "vae", dir -> {
            Path config = dir.resolve("config.json");
            c.save(config);
            ObjectNode n = (ObjectNode) ConfigReader.MAPPER.readTree(config.toFile());
            n.put("scaling_factor", scaling);
            AutoencoderKLConfig.from(new ConfigReader(config.toString(), n)).save(config);
            SafetensorsWriter.write(dir.resolve(AutoencoderKL.WEIGHTS_NAME), Weights.stateDict(vae));
        }, outputDir);
    }
}
