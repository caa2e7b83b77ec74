package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.Embedding;
import dev.bkd.core.nn.GroupNorm;
import dev.bkd.core.nn.LayerNorm;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.random.Generator;
import java.util.Map;

/**
 * Seeded random weights drawn in Java from a {@link Generator} (so a seed gives the same model everywhere), with
 * PyTorch's default layer initialisation, which is what diffusers' models start from: Linear and Conv2d weights
 * and biases uniform in +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)), norms weight 1 and bias 0, Embedding
 * standard normal. Parameters are visited in tree order, so the draw order is the state-dict order.
 */
public final class RandomInit {
    private RandomInit() {}

    /** Initialises every parameter under {@code root} in {@code manager} (float32). */
    public static void torchDefaults(Module root, Generator g, NDManager manager) {
        for (Map.Entry<String, Weights.Slot> e : Weights.slots(root).entrySet()) {
            Weights.Slot s = e.getValue();
            Module owner = s.owner();
            String local = s.local();
            Shape shape = s.shape();
            NDArray value;
            if (owner instanceof Conv2d || owner instanceof Linear) {
                long fanIn = owner.declaredShapes().get("weight").size() / owner.declaredShapes().get("weight").get(0);
                value = uniform(g, manager, shape, 1 / Math.sqrt(fanIn));
            } else if (owner instanceof GroupNorm || owner instanceof LayerNorm) {
                value = local.equals("weight") ? manager.ones(shape) : manager.zeros(shape);
            } else if (owner instanceof Embedding) {
                value = g.randn(manager, shape);
            } else {
                throw new BkdException("random init: no rule for `" + e.getKey() + "` of "
                        + owner.getClass().getSimpleName());
            }
            owner.setParam(local, value);
        }
    }

    /** Replaces parameter {@code local} of {@code owner} with normal(0, std) draws. */
    public static void normal(Module owner, String local, double std, Generator g, NDManager manager) {
        Shape shape = owner.declaredShapes().get(local);
        float[] v = g.gaussians(Math.toIntExact(shape.size()));
        for (int i = 0; i < v.length; i++) {
            v[i] *= (float) std;
        }
        owner.setParam(local, manager.create(v, shape));
    }

    /** Replaces parameter {@code local} of {@code owner} with a constant. */
    public static void constant(Module owner, String local, float value, NDManager manager) {
        owner.setParam(local, manager.full(owner.declaredShapes().get(local), value));
    }

    private static NDArray uniform(Generator g, NDManager manager, Shape shape, double bound) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2 * g.nextDouble() - 1) * bound);
        }
        return manager.create(v, shape);
    }
}
