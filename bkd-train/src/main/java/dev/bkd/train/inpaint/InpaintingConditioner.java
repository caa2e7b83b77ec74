package dev.bkd.train.inpaint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.random.Generator;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.PixelConditioning;
import java.util.Map;

/**
 * The extra UNet input of inpainting training, as diffusers' inpainting training example builds it: per image a
 * {@link RandomMasks random mask}, the masked image (pixels where the mask is 1 set to 0 in [-1, 1]), its VAE
 * posterior sample times the scaling factor, and the mask downsampled to latent size (nearest, the top-left pixel
 * of each block): (B, 1 + C, h, w) = cat[mask, masked_latents], which the objective appends to the noisy latents.
 */
public final class InpaintingConditioner implements PixelConditioning {
    private final FrozenEncoders encoders;
    private final int factor;

    public InpaintingConditioner(FrozenEncoders encoders, int vaeScaleFactor) {
        this.encoders = encoders;
        this.factor = vaeScaleFactor;
    }

    /** The conditioning for {@code pixels} (B, 3, H, W) in [-1, 1]; masks and the VAE sample come from {@code rng}. */
    @Override
    public NDArray condition(NDArray pixels, Generator rng, NDManager m) {
        Shape s = pixels.getShape();
        int b = (int) s.get(0);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        float[] masks = new float[b * h * w];
        float[] small = new float[b * (h / factor) * (w / factor)];
        for (int i = 0; i < b; i++) {
            float[] mask = RandomMasks.draw(w, h, rng);
            System.arraycopy(mask, 0, masks, i * h * w, h * w);
            for (int y = 0; y < h / factor; y++) {
                for (int x = 0; x < w / factor; x++) {
                    small[(i * (h / factor) + y) * (w / factor) + x] = mask[y * factor * w + x * factor];
                }
            }
        }
        NDArray keep = m.create(masks, new Shape(b, 1, h, w)).lt(0.5f).toType(DataType.FLOAT32, false);
        NDArray masked = pixels.toType(DataType.FLOAT32, false).mul(keep);
        Map<String, NDArray> posterior = encoders.encode(masked, m);
        NDArray latents = encoders.sampleLatents(posterior.get(FrozenEncoders.LATENT_MEAN),
                posterior.get(FrozenEncoders.LATENT_STD), rng);
        NDArray maskLatent = m.create(small, new Shape(b, 1, h / factor, w / factor));
        return maskLatent.concat(latents, 1);
    }
}
