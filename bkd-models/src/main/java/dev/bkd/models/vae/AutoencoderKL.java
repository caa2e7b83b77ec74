package dev.bkd.models.vae;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.ComponentFolder;
import dev.bkd.core.weights.RenamedStateDict;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * diffusers {@code AutoencoderKL}: {@code encoder} -> {@code quant_conv} -> diagonal Gaussian posterior;
 * {@code post_quant_conv} -> {@code decoder}. Latents here are unscaled: multiply by {@link #scalingFactor()}
 * (after subtracting a shift factor, if any) before the UNet, like the pipelines do.
 */
public final class AutoencoderKL extends Module {
    /** diffusers builds every VAE GroupNorm with eps 1e-6. */
    static final float NORM_EPS = 1e-6f;
    /** diffusers' weight file name. */
    public static final String WEIGHTS_NAME = "diffusion_pytorch_model.safetensors";
    /** Attention names before diffusers 0.14 (AttentionBlock): query/key/value/proj_attn. */
    private static final Pattern LEGACY_ATTENTION =
            Pattern.compile("^(.*\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)(\\.(?:weight|bias))$");

    private final AutoencoderKLConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;

    public AutoencoderKL(AutoencoderKLConfig config) {
        this.config = config;
        int latent = config.latentChannels();
        encoder = child("encoder", new Encoder(config));
        decoder = child("decoder", new Decoder(config));
        quantConv = config.useQuantConv() ? child("quant_conv", new Conv2d(2 * latent, 2 * latent, 1, 1, 0)) : null;
        postQuantConv = config.usePostQuantConv() ? child("post_quant_conv", new Conv2d(latent, latent, 1, 1, 0)) : null;
    }

    public AutoencoderKLConfig config() {
        return config;
    }

    public Encoder encoder() {
        return encoder;
    }

    public Decoder decoder() {
        return decoder;
    }

    /** {@code scaling_factor} of the config (0.18215 for SD1.x). */
    public double scalingFactor() {
        return config.scalingFactor();
    }

    /** Image (B, in_channels, H, W) in [-1, 1] to the latent posterior. */
    public DiagonalGaussianDistribution encode(NDArray image) {
        check(image, config.inChannels(), "encode: image", "in_channels");
        NDArray moments = Scoped.keep(() -> {
            NDArray h = encoder.forward(image);
            return quantConv == null ? h : out(quantConv, quantConv.forward(h));
        });
        return new DiagonalGaussianDistribution(moments);
    }

    /** Unscaled latent (B, latent_channels, h, w) to image (B, out_channels, h·f, w·f), roughly in [-1, 1]. */
    public NDArray decode(NDArray z) {
        check(z, config.latentChannels(), "decode: latent", "latent_channels");
        return Scoped.keep(() -> decoder.forward(postQuantConv == null ? z : out(postQuantConv, postQuantConv.forward(z))));
    }

    private static void check(NDArray x, int channels, String what, String field) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != channels) {
            throw new BkdException("AutoencoderKL " + what + " must have shape (batch, " + channels
                    + ", height, width) (vae/config.json `" + field + "` = " + channels + "), got " + s);
        }
    }

    /** A key in today's names: legacy mid-block attention names map to to_q/to_k/to_v/to_out.0. */
    static String currentName(String key) {
        Matcher m = LEGACY_ATTENTION.matcher(key);
        if (!m.matches()) {
            return key;
        }
        String now = switch (m.group(2)) {
            case "query" -> "to_q";
            case "key" -> "to_k";
            case "value" -> "to_v";
            default -> "to_out.0";
        };
        return m.group(1) + now + m.group(3);
    }

    public static AutoencoderKL fromStateDict(AutoencoderKLConfig config, StateDict weights, NDManager manager,
            Weights.LoadOptions options) {
        return fromStateDict(config, weights, manager, options, "VAE state dict");
    }

    /**
     * Builds the VAE and loads {@code weights}, accepting current and legacy attention names; tensors of
     * any float dtype are cast to {@code options.dtype()}. {@code source} names the weights in errors.
     */
    public static AutoencoderKL fromStateDict(AutoencoderKLConfig config, StateDict weights, NDManager manager,
            Weights.LoadOptions options, String source) {
        AutoencoderKL vae = new AutoencoderKL(config);
        boolean legacy = weights.keys().stream().anyMatch(k -> !currentName(k).equals(k));
        StateDict named = legacy ? RenamedStateDict.of(weights, AutoencoderKL::currentName, source) : weights;
        Weights.load(vae, named, manager, options, source);
        return vae;
    }

    /** Loads a diffusers {@code vae/} folder (config.json + diffusion_pytorch_model.safetensors). */
    public static AutoencoderKL fromPretrained(Path componentDir, NDManager manager, Weights.LoadOptions options) {
        return fromPretrained(componentDir, null, manager, options);
    }

    /** As above, preferring weights variant {@code variant} (e.g. "fp16"). */
    public static AutoencoderKL fromPretrained(Path componentDir, String variant, NDManager manager,
            Weights.LoadOptions options) {
        return ComponentFolder.load(componentDir, variant, AutoencoderKLConfig::read,
                (config, weights, source) -> fromStateDict(config, weights, manager, options, source));
    }

    /** Writes {@code config.json} and {@code diffusion_pytorch_model.safetensors} (current names and dtype). */
    public void save(Path componentDir) {
        ComponentFolder.save(componentDir, config::save, this, WEIGHTS_NAME);
    }
}
