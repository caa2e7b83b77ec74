package dev.bkd.models.inception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.bkd.core.nn.Module;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One Inception block: its branches run on the same input and are concatenated along channels, in table order. */
final class MixedBlock extends Module {
    private final List<Branch> branches;
    private final Map<String, BasicConv2d> convs = new HashMap<>();

    MixedBlock(List<Branch> branches) {
        this.branches = branches;
        for (Branch b : branches) {
            b.chain().forEach(n -> convs.put(n.key(), child(n.key(), new BasicConv2d(n.spec()))));
            b.split().forEach(n -> convs.put(n.key(), child(n.key(), new BasicConv2d(n.spec()))));
        }
    }

    NDArray forward(NDArray x) {
        NDList parts = new NDList();
        for (Branch b : branches) {
            NDArray h = b.pool() == null ? x : b.pool().apply(x);
            for (Branch.Named n : b.chain()) {
                h = conv(n).forward(h);
            }
            if (b.split().isEmpty()) {
                parts.add(h);
            } else {
                for (Branch.Named n : b.split()) {
                    parts.add(conv(n).forward(h));
                }
            }
        }
        return NDArrays.concat(parts, 1);
    }

    private BasicConv2d conv(Branch.Named n) {
        return convs.get(n.key());
    }
}
