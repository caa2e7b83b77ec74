package dev.bkd.models.inception;

import static dev.bkd.models.inception.Branch.conv;
import static dev.bkd.models.inception.ConvSpec.column;
import static dev.bkd.models.inception.ConvSpec.k1;
import static dev.bkd.models.inception.ConvSpec.row;
import static dev.bkd.models.inception.ConvSpec.square;

import java.util.List;

/**
 * The Mixed blocks of pytorch-fid's FID Inception-v3 (torchvision's InceptionA..E with pytorch-fid's FID patches),
 * as branch tables whose names are the state-dict keys. {@code param} is InceptionA's pool_features or InceptionC's
 * channels_7x7; the other blocks ignore it.
 */
enum InceptionBlockType {
    /** FIDInceptionA: 1x1, 5x5, double 3x3, average pool without the padding in the count. */
    A {
        @Override
        List<Branch> branches(int in, int param) {
            return List.of(Branch.of(conv("branch1x1", k1(in, 64))),
                    Branch.of(conv("branch5x5_1", k1(in, 48)), conv("branch5x5_2", square(48, 64, 5, 1, 2))),
                    Branch.of(conv("branch3x3dbl_1", k1(in, 64)), conv("branch3x3dbl_2", square(64, 96, 3, 1, 1)),
                            conv("branch3x3dbl_3", square(96, 96, 3, 1, 1))),
                    Branch.pooled(PoolKind.AVG_3_SAME_EXCLUDE_PAD, conv("branch_pool", k1(in, param))));
        }
    },
    /** InceptionB (Mixed_6a): grid reduction 35 -> 17. */
    B {
        @Override
        List<Branch> branches(int in, int param) {
            return List.of(Branch.of(conv("branch3x3", square(in, 384, 3, 2, 0))),
                    Branch.of(conv("branch3x3dbl_1", k1(in, 64)), conv("branch3x3dbl_2", square(64, 96, 3, 1, 1)),
                            conv("branch3x3dbl_3", square(96, 96, 3, 2, 0))),
                    Branch.pooled(PoolKind.MAX_3_STRIDE_2));
        }
    },
    /** FIDInceptionC: factorised 7x7 convolutions, average pool without the padding in the count. */
    C {
        @Override
        List<Branch> branches(int in, int c7) {
            return List.of(Branch.of(conv("branch1x1", k1(in, 192))),
                    Branch.of(conv("branch7x7_1", k1(in, c7)), conv("branch7x7_2", row(c7, c7, 7)),
                            conv("branch7x7_3", column(c7, 192, 7))),
                    Branch.of(conv("branch7x7dbl_1", k1(in, c7)), conv("branch7x7dbl_2", column(c7, c7, 7)),
                            conv("branch7x7dbl_3", row(c7, c7, 7)), conv("branch7x7dbl_4", column(c7, c7, 7)),
                            conv("branch7x7dbl_5", row(c7, 192, 7))),
                    Branch.pooled(PoolKind.AVG_3_SAME_EXCLUDE_PAD, conv("branch_pool", k1(in, 192))));
        }
    },
    /** InceptionD (Mixed_7a): grid reduction 17 -> 8. */
    D {
        @Override
        List<Branch> branches(int in, int param) {
            return List.of(Branch.of(conv("branch3x3_1", k1(in, 192)), conv("branch3x3_2", square(192, 320, 3, 2, 0))),
                    Branch.of(conv("branch7x7x3_1", k1(in, 192)), conv("branch7x7x3_2", row(192, 192, 7)),
                            conv("branch7x7x3_3", column(192, 192, 7)),
                            conv("branch7x7x3_4", square(192, 192, 3, 2, 0))),
                    Branch.pooled(PoolKind.MAX_3_STRIDE_2));
        }
    },
    /** FIDInceptionE_1 (Mixed_7b): average pool without the padding in the count. */
    E_1 {
        @Override
        List<Branch> branches(int in, int param) {
            return e(in, PoolKind.AVG_3_SAME_EXCLUDE_PAD);
        }
    },
    /** FIDInceptionE_2 (Mixed_7c): max pool, as the TF graph pytorch-fid reproduces has it. */
    E_2 {
        @Override
        List<Branch> branches(int in, int param) {
            return e(in, PoolKind.MAX_3_SAME);
        }
    };

    abstract List<Branch> branches(int in, int param);

    private static List<Branch> e(int in, PoolKind pool) {
        return List.of(Branch.of(conv("branch1x1", k1(in, 320))),
                Branch.split(List.of(conv("branch3x3_1", k1(in, 384))), conv("branch3x3_2a", row(384, 384, 3)),
                        conv("branch3x3_2b", column(384, 384, 3))),
                Branch.split(List.of(conv("branch3x3dbl_1", k1(in, 448)),
                                conv("branch3x3dbl_2", square(448, 384, 3, 1, 1))),
                        conv("branch3x3dbl_3a", row(384, 384, 3)), conv("branch3x3dbl_3b", column(384, 384, 3))),
                Branch.pooled(pool, conv("branch_pool", k1(in, 192))));
    }

    /** The block as a module. */
    MixedBlock create(int in, int param) {
        return new MixedBlock(branches(in, param));
    }
}
