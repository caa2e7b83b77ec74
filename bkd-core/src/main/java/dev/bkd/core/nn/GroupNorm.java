package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.bkd.core.nn.AutocastPolicy.Op;
import dev.bkd.core.ops.Ops;

/** torch.nn.GroupNorm with affine weight/bias (C). */
public class GroupNorm extends Module {
    public final int numGroups;
    public final int numChannels;
    public final float eps;

    public GroupNorm(int numGroups, int numChannels, float eps) {
        if (numChannels % numGroups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + numChannels + " channels are not divisible by "
                    + numGroups + " groups (norm_num_groups)");
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = eps;
        param("weight", Parameter.Type.GAMMA, numChannels);
        param("bias", Parameter.Type.BETA, numChannels);
    }

    /** The normalised {@code x}; under {@link Autocast} computed and returned in float32, as torch's autocast does. */
    public NDArray forward(NDArray x) {
        if (Autocast.computeType(Op.GROUP_NORM) != null) {
            return Ops.groupNorm(Autocast.arg(Op.GROUP_NORM, x), numGroups, Autocast.arg(Op.GROUP_NORM, p("weight")),
                    Autocast.arg(Op.GROUP_NORM, p("bias")), eps);
        }
        if (x.getDataType() == DataType.FLOAT16) {
            // torch normalises half tensors with float statistics; half variances overflow past |x| ~ 256
            DataType f = DataType.FLOAT32;
            return Ops.groupNorm(x.toType(f, false), numGroups, p("weight").toType(f, false),
                    p("bias").toType(f, false), eps).toType(DataType.FLOAT16, false);
        }
        return Ops.groupNorm(x, numGroups, p("weight"), p("bias"), eps);
    }
}
