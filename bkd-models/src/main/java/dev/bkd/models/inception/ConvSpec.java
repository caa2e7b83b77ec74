package dev.bkd.models.inception;

/** One torchvision BasicConv2d: kernel kh x kw, stride, zero padding (ph, pw); no bias (the BatchNorm has it). */
record ConvSpec(int in, int out, int kh, int kw, int stride, int ph, int pw) {

    /** A 1x1 convolution. */
    static ConvSpec k1(int in, int out) {
        return new ConvSpec(in, out, 1, 1, 1, 0, 0);
    }

    /** A square k x k convolution. */
    static ConvSpec square(int in, int out, int k, int stride, int pad) {
        return new ConvSpec(in, out, k, k, stride, pad, pad);
    }

    /** A 1 x k row convolution keeping the size (Inception's factorised 7x7 and 3x3). */
    static ConvSpec row(int in, int out, int k) {
        return new ConvSpec(in, out, 1, k, 1, 0, k / 2);
    }

    /** A k x 1 column convolution keeping the size. */
    static ConvSpec column(int in, int out, int k) {
        return new ConvSpec(in, out, k, 1, 1, k / 2, 0);
    }
}
