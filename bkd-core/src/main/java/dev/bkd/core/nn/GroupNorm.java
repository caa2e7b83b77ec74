package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
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

    public NDArray forward(NDArray x) {
        return Ops.groupNorm(x, numGroups, p("weight"), p("bias"), eps);
    }
}
