package dev.bkd.models.inception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/** The poolings of the FID Inception-v3. */
enum PoolKind {
    /** 3x3 stride 2, no padding: the stem and the grid reductions (Mixed_6a, Mixed_7a). */
    MAX_3_STRIDE_2,
    /**
     * 3x3 stride 1 pad 1 average that divides by the real (unpadded) count: pytorch-fid's patch of the TF graph for
     * the A, C and E_1 blocks; torchvision's default counts the zero padding and changes the features at the edges.
     */
    AVG_3_SAME_EXCLUDE_PAD,
    /** 3x3 stride 1 pad 1 max: the last block (FIDInceptionE_2), a bug of the TF graph pytorch-fid reproduces. */
    MAX_3_SAME;

    NDArray apply(NDArray x) {
        Shape k = new Shape(3, 3);
        return switch (this) {
            case MAX_3_STRIDE_2 -> Pool.maxPool2d(x, k, new Shape(2, 2), new Shape(0, 0), false);
            case AVG_3_SAME_EXCLUDE_PAD -> averageExcludingPadding(x, k);
            case MAX_3_SAME -> Pool.maxPool2d(x, k, new Shape(1, 1), new Shape(1, 1), false);
        };
    }

    /**
     * DJL 0.36's avgPool2d on PyTorch ignores count_include_pad=false (the edges come out as with true), so the
     * window sum over the zero-padded input is divided by the number of real pixels under each window instead.
     */
    private static NDArray averageExcludingPadding(NDArray x, Shape k) {
        Shape one = new Shape(1, 1);
        long[] s = x.getShape().getShape();
        try (NDArray ones = x.getManager().ones(new Shape(1, 1, s[2], s[3]), x.getDataType());
             NDArray count = Pool.avgPool2d(ones, k, one, one, false, true)) {
            return Pool.avgPool2d(x, k, one, one, false, true).div(count);
        }
    }
}
