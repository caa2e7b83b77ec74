package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.djl.Scalars;
import dev.bkd.core.random.Generator;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.vae.AutoencoderKL;
import dev.bkd.models.vae.DiagonalGaussianDistribution;
import dev.bkd.train.cache.CaptionEncoder;
import dev.bkd.train.cache.ImageEncoder;
import dev.bkd.core.djl.Autograd;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A pipeline folder's frozen VAE, text encoder and tokenizer, run without gradients. Outputs are float32 whatever
 * dtype the weights have (float16 on a GPU). As cache encoders they give {@value #LATENT_MEAN}, {@value #LATENT_STD}
 * and {@value #PROMPT_EMBEDS}; training samples the posterior from mean and std, like diffusers'
 * {@code latent_dist.sample()}.
 */
public final class FrozenEncoders implements ImageEncoder, CaptionEncoder, AutoCloseable {
    public static final String LATENT_MEAN = "latent_mean";
    public static final String LATENT_STD = "latent_std";
    public static final String PROMPT_EMBEDS = "prompt_embeds";
    private static final List<String> COMPONENTS = List.of("vae", "text_encoder", "tokenizer");

    private final Path folder;
    private final NDManager manager;
    private final AutoencoderKL vae;
    private final ClipTextModel textEncoder;
    private final ClipTokenizer tokenizer;
    private final DataType dtype;

    private FrozenEncoders(Path folder, NDManager manager, AutoencoderKL vae, ClipTextModel textEncoder,
                           ClipTokenizer tokenizer, DataType dtype) {
        this.folder = folder;
        this.manager = manager;
        this.vae = vae;
        this.textEncoder = textEncoder;
        this.tokenizer = tokenizer;
        this.dtype = dtype;
    }

    /** Loads vae/, text_encoder/ and tokenizer/ of {@code pipeline} with weights in {@code dtype}. */
    public static FrozenEncoders load(Path pipeline, NDManager parent, DataType dtype) {
        NDManager m = parent.newSubManager();
        ClipTokenizer tok = null;
        try {
            Weights.LoadOptions opts = Weights.LoadOptions.strictFp32().withDtype(dtype);
            tok = ClipTokenizer.fromPretrained(pipeline.resolve("tokenizer"));
            AutoencoderKL vae = AutoencoderKL.fromPretrained(pipeline.resolve("vae"), m, opts);
            ClipTextModel text = ClipTextModel.fromPretrained(pipeline.resolve("text_encoder"), m, opts);
            Weights.setTrainable(vae, false);
            Weights.setTrainable(text, false);
            return new FrozenEncoders(pipeline, m, vae, text, tok, dtype);
        } catch (RuntimeException e) {
            if (tok != null) {
                tok.close();
            }
            m.close();
            throw e;
        }
    }

    /** The latent shape of one {@code resolution}-pixel square image: (1, latent_channels, res/f, res/f). */
    public Shape latentShape(int resolution) {
        int f = vae.config().downscaleFactor();
        return new Shape(1, vae.config().latentChannels(), resolution / f, resolution / f);
    }

    /** The shape of one caption's embedding: (1, model_max_length, hidden_size). */
    public Shape textShape() {
        return new Shape(1, tokenizer.modelMaxLength(), textEncoder.config().hiddenSize());
    }

    /** The VAE's scaling factor and shift (SD1.x: 0.18215 and none). */
    public double scalingFactor() {
        return vae.scalingFactor();
    }

    /** Latents for the UNet: {@code (mean + std·ε - shift) · scaling_factor}, ε drawn from {@code rng}. */
    public NDArray sampleLatents(NDArray mean, NDArray std, Generator rng) {
        NDArray eps = rng.randn(mean.getManager(), mean.getShape());
        NDArray z = mean.add(std.mul(eps));
        Double shift = vae.config().shiftFactor();
        if (shift != null && shift != 0) {
            z = z.sub((float) (double) shift);
        }
        return Scalars.mul(z, (float) vae.scalingFactor());
    }

    /** The VAE posterior of pixels (B, 3, H, W) in [-1, 1]: {@value #LATENT_MEAN} and {@value #LATENT_STD}. */
    @Override
    public Map<String, NDArray> encode(NDArray pixels, NDManager m) {
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            NDArray x = pixels;
            if (pixels.getDataType() != dtype) {
                x = pixels.toType(dtype, false);
                x.attach(m);
            }
            DiagonalGaussianDistribution d = vae.encode(x);
            return Map.of(LATENT_MEAN, fp32(d.mean(), m), LATENT_STD, fp32(d.std(), m));
        }
    }

    /** The text encoder's last hidden state (B, 77, D) as {@value #PROMPT_EMBEDS}. */
    @Override
    public Map<String, NDArray> encode(List<String> captions, NDManager m) {
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            NDArray ids = m.create(tokenizer.encodeBatch(captions));
            return Map.of(PROMPT_EMBEDS, fp32(textEncoder.forward(ids).lastHiddenState(), m));
        }
    }

    private static NDArray fp32(NDArray a, NDManager m) {
        NDArray out = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        out.attach(m);
        return out;
    }

    /** SHA-256 over the files of vae/, text_encoder/ and tokenizer/ and the dtype: identifies a latent cache's encoders. */
    public String fingerprint() {
        return fingerprint(folder, dtype);
    }

    /** {@link #fingerprint()} without loading the encoders (a distributed build's driver only needs the hash). */
    public static String fingerprint(Path folder, DataType dtype) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(dtype.name().getBytes());
            byte[] buf = new byte[1 << 20];
            for (String c : COMPONENTS) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(folder.resolve(c))) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path f : files) {
                    md.update(folder.relativize(f).toString().getBytes());
                    try (InputStream in = Files.newInputStream(f)) {
                        for (int n; (n = in.read(buf)) > 0; ) {
                            md.update(buf, 0, n);
                        }
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new BkdException(folder + ": cannot read the encoders to fingerprint them: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}
