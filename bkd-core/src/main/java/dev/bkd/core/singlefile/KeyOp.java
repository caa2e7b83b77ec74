package dev.bkd.core.singlefile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** How one diffusers tensor sits in a single-file tensor. */
public record KeyOp(Kind kind, int part) {
    /** The tensor transformations the LDM layout needs. */
    public enum Kind {
        /** Same shape, same bytes. */
        COPY,
        /** diffusers [C,C] is LDM's 1x1 convolution [C,C,1,1] (VAE mid-block attention). */
        RESHAPE_1X1,
        /** diffusers q/k/v are the three row blocks of OpenCLIP's fused in_proj ({@link #part} 0, 1, 2). */
        ROWS_OF_3
    }

    public static final KeyOp COPY = new KeyOp(Kind.COPY, 0);

    /** Parses a rules-file op: none, {@code reshape}, {@code rows0/3}..{@code rows2/3}. */
    static KeyOp parse(String s) {
        if (s == null) {
            return COPY;
        }
        if (s.equals("reshape")) {
            return new KeyOp(Kind.RESHAPE_1X1, 0);
        }
        if (s.matches("rows[0-2]/3")) {
            return new KeyOp(Kind.ROWS_OF_3, s.charAt(4) - '0');
        }
        throw new IllegalArgumentException("unknown key op `" + s + "`");
    }

    /** The diffusers shape of a tensor stored with {@code fileShape}, or null if the shape cannot hold it. */
    public Shape diffusersShape(Shape fileShape) {
        return switch (kind) {
            case COPY -> fileShape;
            case RESHAPE_1X1 -> fileShape.dimension() == 4 && fileShape.get(2) == 1 && fileShape.get(3) == 1
                    ? new Shape(fileShape.get(0), fileShape.get(1)) : null;
            case ROWS_OF_3 -> fileShape.dimension() >= 1 && fileShape.get(0) % 3 == 0
                    ? new Shape(withFirst(fileShape, fileShape.get(0) / 3)) : null;
        };
    }

    /** The diffusers tensor inside the loaded single-file tensor {@code a} (a new array; {@code a} is left alone). */
    public NDArray toDiffusers(NDArray a) {
        return switch (kind) {
            case COPY -> a.duplicate();
            case RESHAPE_1X1 -> a.reshape(a.getShape().get(0), a.getShape().get(1));
            case ROWS_OF_3 -> {
                long n = a.getShape().get(0) / 3;
                yield a.get(new NDIndex((part * n) + ":" + ((part + 1) * n))).duplicate();
            }
        };
    }

    private static long[] withFirst(Shape s, long first) {
        long[] d = s.getShape().clone();
        d[0] = first;
        return d;
    }
}
