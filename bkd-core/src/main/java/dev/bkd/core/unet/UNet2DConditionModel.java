package dev.bkd.core.unet;

import dev.bkd.core.djl.Scalars;
import static dev.bkd.core.modules.Taps.out;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.modules.Nonlinearity;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.modules.Taps;
import dev.bkd.core.modules.TimestepEmbedding;
import dev.bkd.core.modules.Timesteps;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.GroupNorm;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import dev.bkd.core.weights.ComponentFolder;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * diffusers' UNet2DConditionModel (SD1.x/2.x layouts and block-removed BK-SDM students), built from a
 * {@link UNet2DConditionConfig}. Parameter names are the diffusers state-dict keys. A forward runs in an
 * {@link NDScope}: intermediates are freed, only the output (and requested feature taps) survive, attached
 * to the sample's manager.
 */
public final class UNet2DConditionModel extends Module implements AutoCloseable {
    /** diffusers' weights file name. */
    public static final String WEIGHTS_NAME = "diffusion_pytorch_model.safetensors";
    public static final String CONFIG_NAME = "config.json";

    /**
     * How to load: parameter device and dtype (FLOAT32; FLOAT16 is correct but ~700x slower on CPU; FLOAT64
     * for checks), and the weights variant ("fp16" picks diffusion_pytorch_model.fp16.safetensors) or null.
     */
    public record Options(Device device, DataType dtype, String variant) {
        public Options {
            if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16 && dtype != DataType.FLOAT64) {
                throw new BkdException("UNet dtype " + dtype + " is not supported (use float32 or float16;"
                        + " bfloat16 aborts libtorch's CPU kernels through DJL)");
            }
        }

        public static Options defaults() {
            return new Options(Device.cpu(), DataType.FLOAT32, null);
        }

        public Options withDevice(Device d) {
            return new Options(d, dtype, variant);
        }

        public Options withDtype(DataType d) {
            return new Options(device, d, variant);
        }

        public Options withVariant(String v) {
            return new Options(device, dtype, v);
        }
    }

    /** A forward's noise prediction and the requested feature taps by module path. */
    public record Output(NDArray sample, Map<String, NDArray> features) {}

    private final UNet2DConditionConfig config;
    private final Conv2d convIn;
    private final Timesteps timeProj;
    private final TimestepEmbedding timeEmbedding;
    private final Nonlinearity timeEmbedAct;
    private final ModuleList<UNetDownBlock> downBlocks;
    private final ModuleList<UNetUpBlock> upBlocks;
    private final UNetMidBlock2DCrossAttn midBlock;
    private final GroupNorm convNormOut;
    private final Nonlinearity convAct;
    private final Conv2d convOut;
    private NDManager owned;

    /** Declares the module tree (no weights are allocated until loaded or initialised). */
    public UNet2DConditionModel(UNet2DConditionConfig config) {
        this.config = config;
        UNet2DConditionConfig c = config;
        int n = c.numBlocks();
        List<Integer> boc = c.blockOutChannels();
        int temb = c.timeEmbedDim();
        float eps = (float) c.normEps();
        int groups = c.normNumGroups();
        String act = c.actFn();
        int kIn = c.convInKernel();
        convIn = child("conv_in", new Conv2d(c.inChannels(), boc.get(0), kIn, 1, (kIn - 1) / 2));
        timeProj = child("time_proj", new Timesteps(boc.get(0), c.flipSinToCos(), c.freqShift()));
        timeEmbedding = child("time_embedding", new TimestepEmbedding(boc.get(0), temb, act, temb,
                c.timestepPostAct()));
        timeEmbedAct = c.timeEmbeddingActFn() == null ? null
                : child("time_embed_act", new Nonlinearity(c.timeEmbeddingActFn(), "time_embedding_act_fn"));

        // diffusers registers both block lists before the mid block; key order in saved files follows
        downBlocks = child("down_blocks", new ModuleList<>());
        upBlocks = child("up_blocks", new ModuleList<>());
        for (int i = 0; i < n; i++) {
            int in = boc.get(i == 0 ? 0 : i - 1);
            BlockSpec s = new BlockSpec(in, boc.get(i), 0, temb, c.layersPerBlock().get(i), i < n - 1, groups, eps,
                    act, 1.0, c.downsamplePadding(), attention(i));
            downBlocks.add((UNetDownBlock) UNetBlocks.create(c.downBlockTypes().get(i), s));
        }
        if (c.midBlockType() != null) {
            BlockSpec s = new BlockSpec(boc.get(n - 1), boc.get(n - 1), 0, temb, 1, false, groups, eps, act,
                    c.midBlockScaleFactor(), 0, attention(n - 1));
            midBlock = child("mid_block", (UNetMidBlock2DCrossAttn) UNetBlocks.create(c.midBlockType(), s));
        } else {
            midBlock = null;
        }
        int out = boc.get(n - 1);
        for (int i = 0; i < n; i++) {
            int r = n - 1 - i; // up block i mirrors down block r
            int prev = out;
            out = boc.get(r);
            int in = boc.get(Math.max(r - 1, 0));
            BlockSpec s = new BlockSpec(in, out, prev, temb, c.layersPerBlock().get(r) + 1, i < n - 1, groups, eps,
                    act, 1.0, 0, attention(r));
            upBlocks.add((UNetUpBlock) UNetBlocks.create(c.upBlockTypes().get(i), s));
        }
        convNormOut = child("conv_norm_out", new GroupNorm(groups, boc.get(0), eps));
        convAct = child("conv_act", new Nonlinearity(act, "act_fn"));
        int kOut = c.convOutKernel();
        convOut = child("conv_out", new Conv2d(boc.get(0), c.outChannels(), kOut, 1, (kOut - 1) / 2));
    }

    /** Attention settings from the config's per-block lists at {@code i} (up block j mirrors down block n-1-j). */
    private BlockSpec.AttentionSpec attention(int i) {
        UNet2DConditionConfig c = config;
        return new BlockSpec.AttentionSpec(c.attentionHeadDim().get(i), c.transformerLayersPerBlock().get(i),
                c.crossAttentionDim().get(i), c.useLinearProjection(), c.onlyCrossAttention().get(i),
                c.upcastAttention());
    }

    public UNet2DConditionConfig config() {
        return config;
    }

    /** Number of scalar parameters, from the declared shapes (no weights needed). */
    public long parameterCount() {
        return Weights.parameterCount(this);
    }

    /** Module paths a forward can tap ({@code conv_in}, {@code down_blocks.0}, ...), in tree order. */
    public Set<String> tapPaths() {
        return Taps.tappable(this).keySet();
    }

    // ------------------------------------------------------------------ forward

    /** The noise prediction for {@code sample} (B, C, H, W) at {@code timestep} given {@code encoderHiddenStates}. */
    public NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates) {
        return forward(sample, timestep, encoderHiddenStates, List.of()).sample();
    }

    /** {@link #forward(NDArray, NDArray, NDArray)} with one timestep for the whole batch. */
    public NDArray forward(NDArray sample, double timestep, NDArray encoderHiddenStates) {
        try (NDArray t = sample.getManager().create(timestep)) {
            return forward(sample, t, encoderHiddenStates);
        }
    }

    /**
     * Forward pass with feature taps.
     *
     * @param timestep a scalar or (1,) for the whole batch, or (B,) per sample; integer or float
     * @param encoderHiddenStates (B, T, cross_attention_dim)
     * @param taps module paths whose outputs to return (see {@link #tapPaths()}); a down block's output is
     *     its hidden states after the downsampler. Empty costs nothing.
     */
    public Output forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, Collection<String> taps) {
        check(sample, timestep, encoderHiddenStates);
        NDManager caller = sample.getManager();
        try (NDScope scope = new NDScope();
                Taps t = taps.isEmpty() ? null : Taps.open(this, taps, "UNet2DConditionModel")) {
            scope.suppressNotUsedWarning();
            NDArray y = run(sample, timestep, encoderHiddenStates, SCOPED);
            Map<String, NDArray> features = new LinkedHashMap<>();
            if (t != null) {
                features.putAll(t.results());
            }
            keep(y, caller);
            features.values().forEach(f -> keep(f, caller));
            return new Output(y, features);
        }
    }

    /**
     * The forward with gradient checkpointing (diffusers' {@code enable_gradient_checkpointing}): each segment
     * (stem, every down block, mid, every up block, head) keeps only its inputs and is recomputed in the backward.
     * The output and features are leaves: build the loss from them, run its backward, then call
     * {@link Segments#backward()} of the result, which carries the gradients into the parameters (equal to a plain
     * forward's).
     */
    public Segments.Result forwardCheckpointed(NDArray sample, NDArray timestep, NDArray encoderHiddenStates,
                                              List<String> taps) {
        check(sample, timestep, encoderHiddenStates);
        return Segments.forward(this, sample, timestep, encoderHiddenStates, taps);
    }

    private static void keep(NDArray a, NDManager m) {
        NDScope.unregister(a);
        a.attach(m);
    }

    /**
     * A forward as plain calls (the caller's grad mode), each segment's temporaries freed when it returns
     * ({@link Scoped}): only its outputs and the feature taps recorded in it outlive it. An input passed straight
     * through stays the caller's (handing it to the forward's scope would close it with the forward).
     */
    private static final Segments.Runner SCOPED = (fn, inputs) -> Scoped.keepAll(() -> fn.apply(inputs), outs -> {
        Set<NDArray> in = Collections.newSetFromMap(new IdentityHashMap<>());
        in.addAll(inputs);
        return outs.stream().filter(a -> !in.contains(a)).toList();
    });

    /**
     * The forward as a chain of segments (stem with the time embedding, each down block, mid, each up block,
     * head), each a function of the arrays it reads, so gradient checkpointing can re-run one alone.
     */
    NDArray run(NDArray sample, NDArray timestep, NDArray context, Segments.Runner r) {
        List<NDArray> stem = r.run(in -> stem(in.get(0), in.get(1)), List.of(sample, timestep));
        NDArray emb = stem.get(0);
        NDArray h = stem.get(1);
        List<NDArray> skips = new ArrayList<>();
        skips.add(h);
        for (UNetDownBlock blk : downBlocks) {
            List<NDArray> o = r.run(in -> {
                UNetDownBlock.Output d = blk.forward(in.get(0), in.get(1), in.get(2));
                List<NDArray> l = new ArrayList<>();
                l.add(d.hidden());
                l.addAll(d.states());
                return l;
            }, List.of(h, emb, context));
            h = o.get(0);
            skips.addAll(o.subList(1, o.size()));
        }
        if (midBlock != null) {
            h = r.run(in -> List.of(midBlock.forward(in.get(0), in.get(1), in.get(2))), List.of(h, emb, context))
                    .get(0);
        }
        long factor = 1L << config.numUpsamplers();
        Shape s = sample.getShape();
        boolean forwardSize = s.get(2) % factor != 0 || s.get(3) % factor != 0;
        for (int i = 0; i < upBlocks.size(); i++) {
            UNetUpBlock blk = upBlocks.get(i);
            int k = blk.numResnets();
            List<NDArray> res = new ArrayList<>(skips.subList(skips.size() - k, skips.size()));
            skips.subList(skips.size() - k, skips.size()).clear();
            long[] size = null;
            if (i < upBlocks.size() - 1 && forwardSize) {
                Shape last = skips.get(skips.size() - 1).getShape();
                size = new long[] {last.get(2), last.get(3)};
            }
            long[] sz = size;
            List<NDArray> in = new ArrayList<>(List.of(h, emb, context));
            in.addAll(res);
            h = r.run(a -> List.of(blk.forward(a.get(0), a.subList(3, a.size()), a.get(1), a.get(2), sz)), in)
                    .get(0);
        }
        return r.run(in -> List.of(head(in.get(0))), List.of(h)).get(0);
    }

    /** Input centering, the time embedding and conv_in: returns (emb, h). */
    private List<NDArray> stem(NDArray sample, NDArray timestep) {
        long b = sample.getShape().get(0);
        NDArray x = sample;
        if (config.centerInputSample()) {
            x = Scalars.mul(x, 2).sub(1);
        }
        NDArray ts = timestep.getShape().dimension() == 0 ? timestep.reshape(1) : timestep;
        if (ts.size() == 1 && b != 1) {
            ts = ts.broadcast(b);
        }
        // Timesteps is always float32; the embedding MLP runs in the model dtype (diffusers casts here too)
        NDArray temb = timeProj.forward(ts).toType(x.getDataType(), false);
        NDArray emb = timeEmbedding.forward(temb);
        if (timeEmbedAct != null) {
            emb = timeEmbedAct.forward(emb);
        }
        return List.of(emb, out(convIn, convIn.forward(x)));
    }

    /** conv_norm_out, conv_act, conv_out. */
    private NDArray head(NDArray h) {
        NDArray y = out(convNormOut, convNormOut.forward(h));
        y = convAct.forward(y);
        return out(convOut, convOut.forward(y));
    }

    private void check(NDArray sample, NDArray timestep, NDArray context) {
        String me = "UNet2DConditionModel.forward: ";
        Shape s = sample.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
            throw new UNetInputException(me + "sample has shape " + s + "; expected (batch, " + config.inChannels()
                    + ", height, width) (in_channels = " + config.inChannels() + ")");
        }
        long b = s.get(0);
        Shape t = timestep.getShape();
        if (t.dimension() > 1 || (t.size() != 1 && t.size() != b)) {
            throw new UNetInputException(me + "timestep has shape " + t + " but the batch is " + b
                    + "; give one timestep (scalar or (1)) or one per sample (" + b + ")");
        }
        Shape e = context.getShape();
        if (e.dimension() != 3 || e.get(0) != b) {
            throw new UNetInputException(me + "encoder_hidden_states has shape " + e + "; expected (" + b
                    + ", tokens, cross_attention_dim) for a batch of " + b);
        }
        for (int i = 0; i < config.numBlocks(); i++) {
            boolean used = config.downBlockTypes().get(i).crossAttention || config.upBlockTypes()
                    .get(config.numBlocks() - 1 - i).crossAttention
                    || (i == config.numBlocks() - 1 && config.midBlockType() != null);
            if (used && e.get(2) != config.crossAttentionDim().get(i)) {
                throw new UNetInputException(me + "encoder_hidden_states has width " + e.get(2)
                        + " but cross_attention_dim is " + config.crossAttentionDim().get(i)
                        + (config.crossAttentionDim().stream().distinct().count() > 1 ? " for block " + i : ""));
            }
        }
        DataType want = parameterType();
        if ((sample.getDataType() != want || context.getDataType() != want)) {
            throw new UNetInputException(me + "the model's weights are " + want + " but sample is "
                    + sample.getDataType() + " and encoder_hidden_states is " + context.getDataType());
        }
    }

    private DataType parameterType() {
        ai.djl.nn.Parameter param = convIn.ownParameters().get("weight");
        if (param == null || !param.isInitialized()) {
            throw new UNetInputException("UNet2DConditionModel.forward: the model has no weights yet"
                    + " (load them with fromStateDict/fromPretrained or initializeRandom)");
        }
        return param.getArray().getDataType();
    }

    // ------------------------------------------------------------------ loading and saving

    /**
     * Builds the model for {@code config} and loads {@code weights} strictly (every missing, unexpected
     * and mis-shaped key reported at once) into {@code manager}, cast to {@code options.dtype()}.
     */
    public static UNet2DConditionModel fromStateDict(UNet2DConditionConfig config, StateDict weights,
            NDManager manager, Options options, String source) {
        UNet2DConditionModel m = new UNet2DConditionModel(config);
        Weights.load(m, weights, manager, Weights.LoadOptions.strictFp32().withDtype(options.dtype()), source);
        return m;
    }

    public static UNet2DConditionModel fromStateDict(UNet2DConditionConfig config, StateDict weights,
            NDManager manager, Options options) {
        return fromStateDict(config, weights, manager, options, "UNet state dict");
    }

    /**
     * Loads a diffusers {@code unet/} folder (config.json + diffusion_pytorch_model[.variant].safetensors or
     * its sharded index). The model owns a new manager on {@code options.device()}; {@link #close()} frees it.
     */
    public static UNet2DConditionModel fromPretrained(Path unetFolder, Options options) {
        NDManager m = NDManager.newBaseManager(options.device());
        try {
            UNet2DConditionModel model = fromPretrained(unetFolder, m, options);
            model.owned = m;
            return model;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** As {@link #fromPretrained(Path, Options)} with weights in the caller's {@code manager}. */
    public static UNet2DConditionModel fromPretrained(Path unetFolder, NDManager manager, Options options) {
        return ComponentFolder.load(unetFolder, options.variant(), UNet2DConditionConfig::read,
                (config, weights, source) -> fromStateDict(config, weights, manager, options, source));
    }

    /** Writes {@code config.json} and {@code diffusion_pytorch_model.safetensors} (current dtype) that diffusers loads. */
    public void save(Path folder) {
        ComponentFolder.save(folder, config::save, this, WEIGHTS_NAME);
    }

    /** Frees the weights if this model owns its manager (fromPretrained without a manager). */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
            owned = null;
        }
    }
}
