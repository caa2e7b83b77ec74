package dev.bkd.core.unet;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.bkd.core.modules.TapException;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Taps, input checks, memory scoping, save/load round trip, odd sizes and gradients on the tiny UNet. */
class UNetBehaviourTest {
    static NDManager manager;
    static NDManager weights;
    static UNet2DConditionModel unet;
    static Map<String, NDArray> ref;
    static NDArray sample;
    static NDArray t;
    static NDArray ehs;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        weights = manager.newSubManager();
        unet = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), weights,
                UNet2DConditionModel.Options.defaults());
        ref = RefData.load(RefData.ref("unet.safetensors"), manager);
        sample = ref.get("case0.sample");
        t = ref.get("case0.timestep");
        ehs = ref.get("case0.encoder_hidden_states");
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    @Test
    void tapsReturnDeepModulesAndAgreeWithTheirParents() {
        List<String> paths = List.of("down_blocks.0.attentions.1.proj_out", "down_blocks.3.resnets.1", "down_blocks.3",
                "mid_block.resnets.1", "mid_block", "up_blocks.3.resnets.0.norm1", "conv_out",
                "down_blocks.1.attentions.0.transformer_blocks.0.attn2", "time_embedding.act");
        try (NDManager call = manager.newSubManager()) {
            UNet2DConditionModel.Output o = unet.forward(sample, t, ehs, paths);
            Map<String, NDArray> f = o.features();
            assertEquals(new java.util.HashSet<>(paths), f.keySet());
            assertEquals(new Shape(2, 16, 16, 16), f.get("down_blocks.0.attentions.1.proj_out").getShape());
            assertEquals(new Shape(2, 48, 16, 16), f.get("up_blocks.3.resnets.0.norm1").getShape());
            assertEquals(new Shape(2, 64, 32), f.get("down_blocks.1.attentions.0.transformer_blocks.0.attn2").getShape());
            // DownBlock2D without downsampler returns its last resnet; the mid block ends with resnets.1
            assertEquals(0.0, RefData.maxAbsDiff(f.get("down_blocks.3"), f.get("down_blocks.3.resnets.1")));
            assertEquals(0.0, RefData.maxAbsDiff(f.get("mid_block"), f.get("mid_block.resnets.1")));
            assertEquals(0.0, RefData.maxAbsDiff(o.sample(), f.get("conv_out")));
            UNetReferenceTest.check("down_blocks.3 via deep taps", ref.get("case0.trace.down_blocks.3"), f.get("down_blocks.3"));
        }
        assertTrue(unet.forward(sample, t, ehs, List.of()).features().isEmpty());
    }

    @Test
    void unknownTapPathListsTheValidOnes() {
        TapException e = assertThrows(TapException.class,
                () -> unet.forward(sample, t, ehs, List.of("mid_block", "down_blocks.7", "up_blocks.0.attentions.0")));
        assertTrue(e.getMessage().contains("[down_blocks.7, up_blocks.0.attentions.0]"), e.getMessage());
        assertTrue(e.getMessage().contains("valid paths: conv_in, time_proj, time_embedding"), e.getMessage());
        assertTrue(e.getMessage().contains("down_blocks.2.attentions.1.proj_out"), e.getMessage());
        assertFalse(unet.tapPaths().contains("down_blocks"), "module lists have no output");
        assertTrue(unet.tapPaths().contains("conv_act"));
    }

    @Test
    void badInputsAreReportedNotCrashed() {
        try (NDManager m = manager.newSubManager()) {
            UNetInputException e = assertThrows(UNetInputException.class,
                    () -> unet.forward(m.zeros(new Shape(2, 3, 16, 16)), t, ehs));
            assertTrue(e.getMessage().contains("in_channels = 4"), e.getMessage());
            e = assertThrows(UNetInputException.class, () -> unet.forward(sample, t, m.zeros(new Shape(2, 77, 768))));
            assertTrue(e.getMessage().contains("width 768 but cross_attention_dim is 32"), e.getMessage());
            e = assertThrows(UNetInputException.class, () -> unet.forward(sample, t, m.zeros(new Shape(1, 77, 32))));
            assertTrue(e.getMessage().contains("encoder_hidden_states"), e.getMessage());
            e = assertThrows(UNetInputException.class,
                    () -> unet.forward(sample, m.create(new long[] {1, 2, 3}), ehs));
            assertTrue(e.getMessage().contains("timestep has shape (3)"), e.getMessage());
            e = assertThrows(UNetInputException.class,
                    () -> unet.forward(sample.toType(DataType.FLOAT16, false), t, ehs.toType(DataType.FLOAT16, false)));
            assertTrue(e.getMessage().contains("weights are float32"), e.getMessage());
            e = assertThrows(UNetInputException.class,
                    () -> new UNet2DConditionModel(unet.config()).forward(sample, t, ehs));
            assertTrue(e.getMessage().contains("no weights"), e.getMessage());
        }
    }

    @Test
    void forwardFreesItsIntermediates() {
        try (NDManager inputs = manager.newSubManager(); NDManager call = manager.newSubManager()) {
            NDArray x = sample.duplicate();
            x.attach(inputs);
            unet.forward(x, t, ehs, List.of("mid_block")).sample().close(); // warm-up (lazy one-time allocations)
            int weightsBefore = weights.getManagedArrays().size();
            int inputsBefore = inputs.getManagedArrays().size();
            UNet2DConditionModel.Output o = unet.forward(x, t, ehs, List.of("mid_block", "up_blocks.1"));
            assertEquals(weightsBefore, weights.getManagedArrays().size(), "nothing left in the weights' manager");
            assertEquals(inputsBefore + 3, inputs.getManagedArrays().size(), "output + 2 taps, in the sample's manager");
            assertSame(inputs, o.sample().getManager());
            assertSame(inputs, o.features().get("mid_block").getManager());
            assertTrue(call.getManagedArrays().isEmpty());
        }
    }

    @Test
    void saveThenFromPretrainedRoundTrips(@TempDir Path dir) throws Exception {
        unet.save(dir);
        assertTrue(Files.isRegularFile(dir.resolve("config.json")));
        try (StateDict a = StateDicts.open(dir.resolve("diffusion_pytorch_model.safetensors"));
                StateDict b = StateDicts.open(RefData.models().resolve("unet"))) {
            assertEquals(new java.util.TreeSet<>(b.keys()), new java.util.TreeSet<>(a.keys()));
            for (String k : b.keys()) {
                assertEquals(b.spec(k), a.spec(k), k);
            }
        }
        try (UNet2DConditionModel back = UNet2DConditionModel.fromPretrained(dir,
                UNet2DConditionModel.Options.defaults())) {
            assertEquals(unet.config(), back.config());
            NDArray y0 = unet.forward(sample, t, ehs);
            NDArray y1 = back.forward(sample, t, ehs);
            assertEquals(0.0, RefData.maxAbsDiff(y0, y1));
        }
    }

    @Test
    void oddSpatialSizesForwardTheSkipSizesToTheUpsamplers() {
        try (NDManager m = manager.newSubManager()) {
            for (long[] hw : new long[][] {{18, 18}, {20, 12}, {9, 13}}) {
                NDArray x = m.randomNormal(new Shape(1, 4, hw[0], hw[1]));
                NDArray y = unet.forward(x, 500, ehs.get("0:1"));
                assertEquals(new Shape(1, 4, hw[0], hw[1]), y.getShape());
                assertTrue(y.isInfinite().logicalOr(y.isNaN()).none().getBoolean());
            }
        }
    }

    @Test
    void gradientsFlowThroughTheScopedForwardAndTaps() {
        try (NDManager m = manager.newSubManager()) {
            Weights.setTrainable(unet, true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                UNet2DConditionModel.Output o = unet.forward(sample, t, ehs, List.of("down_blocks.1"));
                NDArray loss = o.sample().square().mean().add(o.features().get("down_blocks.1").square().mean());
                gc.backward(loss);
            }
            NDArray g = Weights.slots(unet).get("conv_in.weight").owner().ownParameters().get("weight").getArray()
                    .getGradient();
            double norm = g.square().sum().getFloat();
            System.out.printf("UNet conv_in.weight gradient norm^2 %.3g%n", norm);
            assertTrue(norm > 0 && Double.isFinite(norm));
        } finally {
            Weights.setTrainable(unet, false);
        }
    }
}
