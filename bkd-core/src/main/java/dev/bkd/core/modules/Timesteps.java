package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.nn.Module;
import dev.bkd.core.djl.Scalars;

/**
 * diffusers' Timesteps / get_timestep_embedding: sinusoidal features of (N,) timesteps, always float32.
 * Frequencies exp(-ln(max_period)·i / (half - freq_shift)), [sin, cos] (or [cos, sin] with
 * flip_sin_to_cos), zero-padded when the width is odd. The float32 op order follows torch's so
 * results match to the last bit where torch's kernels do.
 */
public final class Timesteps extends Module {
    public final int numChannels;
    public final boolean flipSinToCos;
    public final double downscaleFreqShift;
    public final double scale;
    public final double maxPeriod;

    public Timesteps(int numChannels, boolean flipSinToCos, double downscaleFreqShift) {
        this(numChannels, flipSinToCos, downscaleFreqShift, 1.0, 10000.0);
    }

    public Timesteps(int numChannels, boolean flipSinToCos, double downscaleFreqShift, double scale, double maxPeriod) {
        this.numChannels = numChannels;
        this.flipSinToCos = flipSinToCos;
        this.downscaleFreqShift = downscaleFreqShift;
        this.scale = scale;
        this.maxPeriod = maxPeriod;
    }

    /** @param timesteps (N,) of any numeric type; returns (N, numChannels) float32 */
    public NDArray forward(NDArray timesteps) {
        if (timesteps.getShape().dimension() != 1) {
            throw new IllegalArgumentException("Timesteps: expected a 1-D array of timesteps, got shape "
                    + timesteps.getShape());
        }
        int half = numChannels / 2;
        NDArray range = timesteps.getManager().arange(0f, (float) half, 1f, DataType.FLOAT32);
        NDArray exponent = Scalars.div(Scalars.mul(range, (float) -Math.log(maxPeriod)),
                (float) (half - downscaleFreqShift));
        NDArray freqs = exponent.exp();
        NDArray args = timesteps.toType(DataType.FLOAT32, false).expandDims(1).mul(freqs.expandDims(0));
        if (scale != 1.0) {
            args = Scalars.mul(args, (float) scale);
        }
        NDArray sin = args.sin();
        NDArray cos = args.cos();
        NDArray emb = flipSinToCos ? cos.concat(sin, 1) : sin.concat(cos, 1);
        if (numChannels % 2 == 1) {
            emb = emb.concat(timesteps.getManager().zeros(new ai.djl.ndarray.types.Shape(emb.getShape().get(0), 1)), 1);
        }
        return out(this, emb);
    }
}
