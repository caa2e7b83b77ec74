package dev.bkd.train.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.loop.DiffusionBatch;
import dev.bkd.train.loop.LossTerms;
import dev.bkd.train.loop.Objective;
import dev.bkd.core.djl.Autograd;
import dev.bkd.train.loop.PipelineExport;
import dev.bkd.train.loop.UNetPass;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Knowledge distillation: the frozen teacher runs without a graph (in its own dtype, float16 on a GPU), the
 * float32 student with one, and {@link DistillLoss} compares their predictions and tapped block outputs.
 */
public final class DistillObjective implements Objective {
    public static final String NAME = "distill";

    private final UNet2DConditionModel teacher;
    private final UNet2DConditionModel student;
    private final DistillLoss loss;
    private final DataType teacherType;
    private final Map<String, NDArray> trainable;
    private final Path teacherPipeline;
    private boolean checkpointing;
    private boolean autocast;

    /** Freezes {@code teacher}, makes every student parameter trainable; {@code teacherPipeline} supplies the rest of the output. */
    public DistillObjective(UNet2DConditionModel teacher, UNet2DConditionModel student, KdSpec spec,
                            Path teacherPipeline) {
        this.teacher = teacher;
        this.student = student;
        this.loss = new DistillLoss(spec);
        this.teacherPipeline = teacherPipeline;
        Weights.setTrainable(teacher, false);
        Weights.setTrainable(student, true);
        this.trainable = Weights.stateDict(student);
        this.teacherType = Weights.stateDict(teacher).values().iterator().next().getDataType();
        DataType st = trainable.values().iterator().next().getDataType();
        if (st != DataType.FLOAT32) {
            throw new IllegalArgumentException("the student must be float32 to train, it is " + st);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    public KdSpec spec() {
        return loss.spec();
    }

    public UNet2DConditionModel student() {
        return student;
    }

    public UNet2DConditionModel teacher() {
        return teacher;
    }

    @Override
    public Map<String, NDArray> trainable() {
        return trainable;
    }

    /**
     * One forward of both models on zeros of {@code latent} (1, C, h, w; C becomes the teacher's in_channels, 9
     * for inpainting) and {@code text} (1, T, D) shapes: both models must take the same input channels, every tap
     * path must exist and every pair must have equal shapes, else a {@link FeatureShapeException} naming them all.
     */
    public void probe(Shape latent, Shape text, NDManager parent) {
        checkPaths("teacher", teacher, spec().teacherTaps());
        checkPaths("student", student, spec().studentTaps());
        int in = teacher.config().inChannels();
        if (student.config().inChannels() != in) {
            throw new FeatureShapeException("the student's unet/config.json has in_channels "
                    + student.config().inChannels() + " but the teacher's has " + in + "; prune the student from"
                    + " this teacher (bkd prune keeps in_channels) or pick a student made for it");
        }
        try (NDManager m = parent.newSubManager(); Autograd.NoGrad ng = Autograd.noGrad()) {
            NDArray x = m.zeros(new Shape(latent.get(0), in, latent.get(2), latent.get(3)));
            NDArray t = m.create(new long[] {0});
            NDArray e = m.zeros(text);
            UNet2DConditionModel.Output to = teacher.forward(cast(x), t, cast(e), spec().teacherTaps());
            UNet2DConditionModel.Output so = student.forward(x, t, e, spec().studentTaps());
            if (!to.sample().getShape().equals(so.sample().getShape())) {
                throw new FeatureShapeException("the student predicts " + so.sample().getShape() + " but the teacher "
                        + to.sample().getShape() + "; they must have the same in/out channels");
            }
            loss.checkShapes(shapes(to.features()), shapes(so.features()));
        }
    }

    /** Unknown module paths, named with the model's block-level paths (the full list would be thousands long). */
    private void checkPaths(String who, UNet2DConditionModel m, List<String> paths) {
        Set<String> valid = m.tapPaths();
        List<String> unknown = paths.stream().filter(p -> !valid.contains(p)).toList();
        if (!unknown.isEmpty()) {
            List<String> blocks = valid.stream().filter(p -> p.matches("(down_blocks|up_blocks)\\.\\d+|mid_block"))
                    .toList();
            throw new FeatureShapeException("feature pairs of " + spec().source() + " name " + who + " module(s) "
                    + unknown + " that the " + who + " does not have; its blocks are " + blocks
                    + " (deeper paths such as down_blocks.2.attentions.0.proj_out also work)");
        }
    }

    private static Map<String, Shape> shapes(Map<String, NDArray> f) {
        Map<String, Shape> out = new LinkedHashMap<>();
        f.forEach((k, v) -> out.put(k, v.getShape()));
        return out;
    }

    @Override
    public LossTerms loss(DiffusionBatch b) {
        UNetPass[] pass = new UNetPass[1];
        DistillLoss.Terms t = terms(b, pass, checkpointing);
        return pass[0].attach(new LossTerms(t.total(), t.logged()));
    }

    @Override
    public void gradientCheckpointing(boolean on) {
        checkpointing = on;
    }

    /** The student's forward under autocast; the teacher keeps its own dtype (it runs outside the context). */
    @Override
    public boolean autocast(boolean on) {
        autocast = on;
        return true;
    }

    /** Teacher forward (no graph), student forward, then the loss with every per-pair term. */
    public DistillLoss.Terms terms(DiffusionBatch b) {
        return terms(b, new UNetPass[1], false); // its callers run a plain backward, never a replay
    }

    private DistillLoss.Terms terms(DiffusionBatch b, UNetPass[] pass, boolean checkpointing) {
        UNet2DConditionModel.Output tea;
        NDArray in = b.unetInput(); // both models see the same mask and masked-image latents (inpainting)
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            tea = teacher.forward(cast(in), b.timesteps(), cast(b.encoderHiddenStates()), spec().teacherTaps());
        }
        pass[0] = UNetPass.run(student, in, b.timesteps(), b.encoderHiddenStates(), spec().studentTaps(),
                checkpointing, autocast);
        UNet2DConditionModel.Output stu = pass[0].output();
        return loss.compute(stu.sample(), tea.sample(), b.target(), stu.features(), tea.features());
    }

    /** The teacher's copy of a float32 input (float16 teachers on a GPU). */
    private NDArray cast(NDArray a) {
        return a.getDataType() == teacherType ? a : a.toType(teacherType, false);
    }

    /** A complete pipeline folder: the student's {@code unet/} and the teacher's other components. */
    @Override
    public void save(Path outputDir) {
        PipelineExport.write(teacherPipeline, student, outputDir);
    }
}
