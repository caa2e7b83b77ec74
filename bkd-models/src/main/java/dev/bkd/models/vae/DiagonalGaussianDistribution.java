package dev.bkd.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.djl.Scalars;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * diffusers' DiagonalGaussianDistribution: the VAE posterior from {@code moments} (B, 2C, H, W), split
 * into mean and log-variance along channels; log-variance clamped to [-30, 20] like diffusers. Sampling
 * takes the noise or the random source explicitly, so results never depend on a global RNG.
 */
public final class DiagonalGaussianDistribution {
    private final NDArray mean;
    private final NDArray logvar;
    private final NDArray std;
    private final NDArray var;

    public DiagonalGaussianDistribution(NDArray moments) {
        Shape s = moments.getShape();
        if (s.dimension() != 4 || s.get(1) % 2 != 0) {
            throw new BkdException("VAE moments must have shape (batch, 2 * latent_channels, height, width), got " + s);
        }
        long c = s.get(1) / 2;
        NDArray[] p = Scoped.keepAll(() -> {
            NDArray lv = Scalars.clamp(moments.get(":, {}:", c), -30.0, 20.0);
            return new NDArray[] {moments.get(":, :{}", c), lv, Scalars.mul(lv, 0.5f).exp(), lv.exp()};
        }, List::of);
        mean = p[0];
        logvar = p[1];
        std = p[2];
        var = p[3];
    }

    public NDArray mean() {
        return mean;
    }

    /** The mode of a Gaussian is its mean (what SD pipelines use with {@code latent_dist.mode()}). */
    public NDArray mode() {
        return mean;
    }

    public NDArray logvar() {
        return logvar;
    }

    public NDArray std() {
        return std;
    }

    public NDArray var() {
        return var;
    }

    /** mean + std * noise, with {@code noise} standard normal of the latent's shape. */
    public NDArray sample(NDArray noise) {
        if (!noise.getShape().equals(mean.getShape())) {
            throw new BkdException("VAE posterior sample: noise has shape " + noise.getShape()
                    + " but the latent has shape " + mean.getShape());
        }
        return mean.add(std.mul(noise.toType(mean.getDataType(), false)));
    }

    /** A sample drawing standard-normal noise from {@code random} (element order: row-major over the latent). */
    public NDArray sample(RandomGenerator random) {
        float[] n = new float[Math.toIntExact(mean.getShape().size())];
        for (int i = 0; i < n.length; i++) {
            n[i] = (float) random.nextGaussian();
        }
        NDArray noise = mean.getManager().create(n, mean.getShape());
        return sample(mean.getDataType() == DataType.FLOAT32 ? noise : noise.toType(mean.getDataType(), false));
    }

    /** KL divergence to the standard normal, summed over (C, H, W): one value per batch item. */
    public NDArray kl() {
        return Scalars.mul(mean.square().add(var).sub(1.0f).sub(logvar).sum(new int[] {1, 2, 3}), 0.5f);
    }
}
