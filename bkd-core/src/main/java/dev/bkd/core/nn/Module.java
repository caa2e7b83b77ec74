package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Base of every bkd layer: a DJL block whose child and parameter names are exactly the PyTorch
 * state-dict path segments ({@code down_blocks}, {@code 0}, {@code norm1}, {@code weight}), so weights
 * load by name with no tables. Subclasses expose typed {@code forward} methods.
 */
public abstract class Module extends AbstractBlock {
    private final Map<String, Shape> declared = new LinkedHashMap<>();

    /** Registers a child under its state-dict name (DJL's addChildBlock would prefix "01"). */
    protected final <B extends Block> B child(String name, B block) {
        for (Pair<String, Block> p : children) {
            if (p.getKey().equals(name)) {
                throw new IllegalStateException(getClass().getSimpleName() + " already has a child " + name);
            }
        }
        children.add(name, block);
        return block;
    }

    /** Declares a parameter with its PyTorch shape. */
    protected final void param(String name, Parameter.Type type, long... shape) {
        Shape s = new Shape(shape);
        declared.put(name, s);
        addParameter(Parameter.builder().setName(name).setType(type).optShape(s).build());
    }

    /** The value of a parameter of this module. */
    protected final NDArray p(String name) {
        Parameter param = parameters.get(name);
        if (param == null) {
            return null;
        }
        return param.getArray();
    }

    /** True when this module declares a parameter {@code name}. */
    public final boolean hasParam(String name) {
        return declared.containsKey(name);
    }

    /** Declared PyTorch shapes of this module's own parameters, in declaration order. */
    public final Map<String, Shape> declaredShapes() {
        return Collections.unmodifiableMap(declared);
    }

    /**
     * Replaces a parameter's value (DJL's Parameter cannot be re-assigned once shaped, so a fresh one
     * takes its place). The shape must equal the declared one.
     */
    public final void setParam(String name, NDArray value) {
        Shape want = declared.get(name);
        if (want == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no parameter " + name);
        }
        if (!want.equals(value.getShape())) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "." + name + ": shape "
                    + value.getShape() + " but the module needs " + want);
        }
        Parameter old = parameters.get(name);
        boolean grad = old != null && old.requiresGradient();
        if (old != null && old.isInitialized() && old.getArray() != value) {
            old.getArray().close();
        }
        value.setName(name);
        Parameter fresh = Parameter.builder().setName(name).setType(old == null ? Parameter.Type.OTHER : old.getType())
                .optArray(value).optRequiresGrad(grad).build();
        value.setRequiresGradient(grad);
        parameters.put(name, fresh);
    }

    /** Direct parameters by local name (initialised ones only). */
    public final Map<String, Parameter> ownParameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** Children by state-dict name. */
    public final Map<String, Block> childMap() {
        Map<String, Block> out = new LinkedHashMap<>();
        for (Pair<String, Block> p : children) {
            out.put(p.getKey(), p.getValue());
        }
        return out;
    }

    /** Random initialisation of every declared parameter (benchmarks, tests); loading replaces it. */
    public final void initializeRandom(NDManager manager, DataType dataType) {
        initialize(manager, dataType);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Pair<String, Block> c : children) {
            c.getValue().initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + ": shapes are computed by forward");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " has typed forward methods; call them instead of the generic DJL forward");
    }
}
