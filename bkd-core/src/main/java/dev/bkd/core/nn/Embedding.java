package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

/** torch.nn.Embedding: weight (num, dim), looked up by integer ids. */
public class Embedding extends Module {
    public final int num;
    public final int dim;

    public Embedding(int num, int dim) {
        this.num = num;
        this.dim = dim;
        param("weight", Parameter.Type.WEIGHT, num, dim);
    }

    public NDArray forward(NDArray ids) {
        NDArray w = p("weight");
        NDArray flat = ids.toType(DataType.INT64, false).flatten();
        NDArray rows = w.get(flat);
        long[] shape = new long[ids.getShape().dimension() + 1];
        System.arraycopy(ids.getShape().getShape(), 0, shape, 0, ids.getShape().dimension());
        shape[shape.length - 1] = dim;
        return rows.reshape(shape);
    }
}
