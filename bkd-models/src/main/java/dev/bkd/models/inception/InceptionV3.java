package dev.bkd.models.inception;

import static dev.bkd.models.inception.ConvSpec.k1;
import static dev.bkd.models.inception.ConvSpec.square;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.core.djl.Scalars;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * pytorch-fid's {@code InceptionV3([3])}: the FID Inception-v3 up to the 2048-d pool3 features. Input (B, 3, H, W)
 * in [0, 1] is resized to 299x299 bilinearly (align_corners false, no antialias), mapped to [-1, 1], then runs the
 * stem, Mixed_5b..Mixed_7c and a global average pool. Parameter names are those of
 * {@code pt_inception-2015-12-05-6726825d.pth} ({@code Mixed_6b.branch7x7_2.conv.weight}, ...).
 */
public final class InceptionV3 extends Module {
    public static final int FEATURES = 2048;
    static final int SIZE = 299;
    /** In the checkpoint but not in the pool3 network: the classifier and BatchNorm's training counters. */
    private static final Pattern UNUSED = Pattern.compile("fc\\.(weight|bias)|.*\\.num_batches_tracked");

    private record Stage(String name, UnaryOperator<NDArray> op) {}

    private final List<Stage> stages = new ArrayList<>();

    public InceptionV3() {
        conv("Conv2d_1a_3x3", square(3, 32, 3, 2, 0));
        conv("Conv2d_2a_3x3", square(32, 32, 3, 1, 0));
        conv("Conv2d_2b_3x3", square(32, 64, 3, 1, 1));
        stages.add(new Stage("maxpool1", PoolKind.MAX_3_STRIDE_2::apply));
        conv("Conv2d_3b_1x1", k1(64, 80));
        conv("Conv2d_4a_3x3", square(80, 192, 3, 1, 0));
        stages.add(new Stage("maxpool2", PoolKind.MAX_3_STRIDE_2::apply));
        mixed("Mixed_5b", InceptionBlockType.A, 192, 32);
        mixed("Mixed_5c", InceptionBlockType.A, 256, 64);
        mixed("Mixed_5d", InceptionBlockType.A, 288, 64);
        mixed("Mixed_6a", InceptionBlockType.B, 288, 0);
        mixed("Mixed_6b", InceptionBlockType.C, 768, 128);
        mixed("Mixed_6c", InceptionBlockType.C, 768, 160);
        mixed("Mixed_6d", InceptionBlockType.C, 768, 160);
        mixed("Mixed_6e", InceptionBlockType.C, 768, 192);
        mixed("Mixed_7a", InceptionBlockType.D, 768, 0);
        mixed("Mixed_7b", InceptionBlockType.E_1, 1280, 0);
        mixed("Mixed_7c", InceptionBlockType.E_2, 2048, 0);
    }

    private void conv(String name, ConvSpec spec) {
        BasicConv2d c = child(name, new BasicConv2d(spec));
        stages.add(new Stage(name, c::forward));
    }

    private void mixed(String name, InceptionBlockType type, int in, int param) {
        MixedBlock b = child(name, type.create(in, param));
        stages.add(new Stage(name, b::forward));
    }

    /** Builds the network and loads pytorch-fid's weights by name (fc and the BN counters are skipped). */
    public static InceptionV3 fromStateDict(StateDict weights, NDManager manager, String source) {
        InceptionV3 m = new InceptionV3();
        Weights.load(m, weights, manager,
                Weights.LoadOptions.strictFp32().ignoring(k -> UNUSED.matcher(k).matches()), source);
        return m;
    }

    /** Adaptive average pooling to 1x1, flattened: (B, C, H, W) to (B, C). DJL's mean takes one axis only. */
    public static NDArray spatialMean(NDArray x) {
        long[] s = x.getShape().getShape();
        return x.reshape(s[0], s[1], s[2] * s[3]).mean(new int[] {2});
    }

    /** pool3 features (B, 2048) of {@code images} (B, 3, H, W) float32 in [0, 1]. */
    public NDArray features(NDArray images) {
        return features(images, null);
    }

    /**
     * As {@link #features(NDArray)}; {@code trace}, when given, sees the output of every stage by its state-dict
     * name (tests compare them with pytorch-fid's) and must not keep the arrays.
     */
    public NDArray features(NDArray images, BiConsumer<String, NDArray> trace) {
        long[] s = images.getShape().getShape();
        if (s.length != 4 || s[1] != 3) {
            throw new BkdException("Inception input must have shape (batch, 3, height, width), got " + images.getShape());
        }
        NDArray x = Scoped.keep(() -> Scalars.mul(Bilinear.resize(images, SIZE, SIZE), 2).sub(1));
        if (trace != null) {
            trace.accept("input_299", x);
        }
        for (Stage st : stages) {
            NDArray in = x;
            x = Scoped.keep(() -> st.op().apply(in));
            in.close();
            if (trace != null) {
                trace.accept(st.name(), x);
            }
        }
        NDArray pooled = spatialMean(x);
        x.close();
        return pooled;
    }
}
