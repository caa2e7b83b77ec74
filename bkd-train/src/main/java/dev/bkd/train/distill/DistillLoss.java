package dev.bkd.train.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.djl.Scalars;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BK-SDM's three-part loss, every MSE a mean over all elements in float32:
 * {@code L = λ_task·MSE(ε̂_s, target) + λ_out·MSE(ε̂_s, ε̂_t) + λ_feat·Σ_pairs MSE(f_s, f_t)}.
 * Teacher tensors may be float16 (cast here; they carry no graph); student tensors must be float32, since DJL's cast
 * would cut the autograd graph (under autocast {@link dev.bkd.train.loop.UNetPass} hands them over as float32).
 */
public final class DistillLoss {
    /** Loss names as logged. */
    public static final String TOTAL = "loss";
    public static final String TASK = "loss_task";
    public static final String OUT = "loss_kd_out";
    public static final String FEAT = "loss_kd_feat";

    /** The total and its parts (scalars); {@code pairs} by {@link FeaturePair#key()}, unweighted. */
    public record Terms(NDArray total, NDArray task, NDArray out, NDArray feat, Map<String, NDArray> pairs) {
        /** total, task, out, feat by their logged names. */
        public Map<String, NDArray> logged() {
            Map<String, NDArray> m = new LinkedHashMap<>();
            m.put(TOTAL, total);
            m.put(TASK, task);
            m.put(OUT, out);
            m.put(FEAT, feat);
            return m;
        }
    }

    private final KdSpec spec;

    public DistillLoss(KdSpec spec) {
        this.spec = spec;
    }

    public KdSpec spec() {
        return spec;
    }

    /**
     * The loss for one batch: predictions (B, C, H, W), the task target (noise or velocity), and the tapped
     * features of both models by module path (every pair's paths must be present).
     */
    public Terms compute(NDArray studentPred, NDArray teacherPred, NDArray target, Map<String, NDArray> studentFeatures,
                         Map<String, NDArray> teacherFeatures) {
        NDArray task = mse(studentPred, target, "prediction vs target");
        NDArray out = mse(studentPred, teacherPred, "prediction vs teacher prediction");
        Map<String, NDArray> pairs = new LinkedHashMap<>();
        NDArray feat = null;
        for (FeaturePair p : spec.pairs()) {
            NDArray s = feature(studentFeatures, p.student(), "student");
            NDArray t = feature(teacherFeatures, p.teacher(), "teacher");
            if (!s.getShape().equals(t.getShape())) {
                throw new FeatureShapeException(mismatch(p, t.getShape(), s.getShape()));
            }
            NDArray term = mse(s, t, p.key());
            pairs.put(p.key(), term);
            feat = feat == null ? term : feat.add(term);
        }
        if (feat == null) {
            feat = studentPred.getManager().zeros(new Shape(), DataType.FLOAT32);
        }
        LossWeights w = spec.weights();
        // float weights: a double scalar times a 0-d float32 loss would promote to float64
        NDArray total = Scalars.mul(task, (float) w.task()).add(Scalars.mul(out, (float) w.out()))
                .add(Scalars.mul(feat, (float) w.feat()));
        return new Terms(total, task, out, feat, pairs);
    }

    /**
     * Checks that every pair's teacher and student outputs have the same shape, naming every pair that does not
     * (the start-up probe, so a bad pair fails before training rather than at step 1000).
     */
    public void checkShapes(Map<String, Shape> teacher, Map<String, Shape> student) {
        List<String> bad = new ArrayList<>();
        for (FeaturePair p : spec.pairs()) {
            Shape t = teacher.get(p.teacher());
            Shape s = student.get(p.student());
            if (t == null || s == null) {
                bad.add(p.key() + ": " + (t == null ? "teacher" : "student") + " module produced no output");
            } else if (!t.equals(s)) {
                bad.add(mismatch(p, t, s));
            }
        }
        if (!bad.isEmpty()) {
            throw new FeatureShapeException("feature pairs of " + spec.source() + " do not fit these models: "
                    + String.join("; ", bad));
        }
    }

    private static String mismatch(FeaturePair p, Shape teacher, Shape student) {
        return "pair " + p.key() + ": teacher output " + teacher + " but student output " + student;
    }

    private static NDArray feature(Map<String, NDArray> features, String path, String who) {
        NDArray f = features.get(path);
        if (f == null) {
            throw new IllegalArgumentException("no " + who + " feature `" + path + "` was tapped (have "
                    + features.keySet() + ")");
        }
        return f;
    }

    /** mean((a - b)^2) in float32; {@code a} is the student side (float32 required), {@code b} may be cast. */
    public static NDArray mse(NDArray a, NDArray b, String what) {
        if (a.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(what + ": the student side must be float32 (a cast would cut the"
                    + " autograd graph), got " + a.getDataType());
        }
        if (!a.getShape().equals(b.getShape())) {
            throw new IllegalArgumentException(what + ": shapes " + a.getShape() + " and " + b.getShape() + " differ");
        }
        NDArray b32 = b.getDataType() == DataType.FLOAT32 ? b : b.toType(DataType.FLOAT32, false);
        return a.sub(b32).square().mean();
    }
}
