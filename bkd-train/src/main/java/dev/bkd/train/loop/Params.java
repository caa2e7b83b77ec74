package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.weights.StateDict;
import dev.bkd.train.TrainStateException;
import dev.bkd.core.djl.Autograd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Overwrites live parameters in place (they keep recording gradients) from saved or averaged tensors. */
final class Params {
    private Params() {}

    /** Copies every tensor of {@code saved} into the parameter of the same name; names and shapes must match exactly. */
    static void copyFrom(StateDict saved, Map<String, NDArray> params, NDManager scope, String source) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            if (!saved.contains(e.getKey())) {
                problems.add("`" + e.getKey() + "` is missing");
            } else if (!saved.spec(e.getKey()).shape().equals(e.getValue().getShape())) {
                problems.add("`" + e.getKey() + "` has shape " + saved.spec(e.getKey()).shape() + ", the model "
                        + e.getValue().getShape());
            }
        }
        for (String k : saved.keys()) {
            if (!params.containsKey(k)) {
                problems.add("unexpected `" + k + "`");
            }
        }
        if (!problems.isEmpty()) {
            throw new TrainStateException(source + ": saved weights do not fit the model being trained: "
                    + String.join("; ", problems));
        }
        try (Autograd.NoGrad ng = Autograd.noGrad(); NDManager s = scope.newSubManager()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray p = e.getValue();
                saved.load(e.getKey(), s).toType(p.getDataType(), false).copyTo(p);
            }
        }
    }

    /** Copies {@code src} (same names, e.g. an EMA shadow) into {@code params}. */
    static void copyFrom(Map<String, NDArray> src, Map<String, NDArray> params) {
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                src.get(e.getKey()).copyTo(e.getValue());
            }
        }
    }
}
