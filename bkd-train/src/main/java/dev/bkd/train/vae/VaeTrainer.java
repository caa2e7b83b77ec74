package dev.bkd.train.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.djl.Scalars;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.vae.AutoencoderKL;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.data.EpochSampler;
import dev.bkd.train.data.ImageBatches;
import dev.bkd.train.data.ImageTransform;
import dev.bkd.train.log.ImageGrid;
import dev.bkd.train.loop.ForwardProcess;
import dev.bkd.train.loop.OutputFolder;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.checkpoint.RunSetup;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.core.djl.Autograd;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A VAE training run on the shared {@link TrainingLoop} with a {@link VaeObjective}: pixels from the data folder,
 * the pipeline's VAE trained, every other component copied. Validation grids show the first calibration images
 * (top row) and their reconstructions from the posterior mean (bottom row), in {@code samples/step-N/reconstructions.png}
 * (distillation's layout).
 */
public final class VaeTrainer implements AutoCloseable {
    private static final int SHOWN = 8;

    private final NDManager root;
    private final PixelSource data;
    private final VaeObjective objective;
    private final TrainingLoop loop;

    private VaeTrainer(NDManager root, PixelSource data, VaeObjective objective, TrainingLoop loop) {
        this.root = root;
        this.data = data;
        this.objective = objective;
        this.loop = loop;
    }

    public static VaeTrainer prepare(VaeOptions o) {
        Path model = o.model();
        if (!Files.isRegularFile(model.resolve("model_index.json"))) {
            throw new ConfigException(model + ": the model must be a diffusers pipeline folder with vae/");
        }
        OutputFolder.check(o.out(), model, "model", o.train().resume());
        NDManager root = NDManager.newBaseManager();
        try {
            AutoencoderKL vae = AutoencoderKL.fromPretrained(model.resolve("vae"), root, Weights.LoadOptions.strictFp32());
            CaptionedDataset dataset = CaptionedDataset.open(o.data().data(), o.data().dataset());
            ImageTransform transform = new ImageTransform(o.data().resolution(), o.data().centerCrop(),
                    o.data().randomFlip());
            List<NDArray> calibration = calibration(dataset, o.data().resolution(), o.calibrationImages(),
                    o.train().batchSize(), root);
            VaeObjective objective = new VaeObjective(vae, o.klWeight(), model, calibration);
            PixelSource data = new PixelSource(dataset, transform, o.train().seed(), o.train().batchSize());
            ForwardProcess noise = new ForwardProcess(SchedulerConfig.read(model.resolve("scheduler")
                    .resolve(SchedulerConfig.FILE_NAME)));
            TrainingLoop loop = new TrainingLoop(o.train(), objective, data, noise, o.out(), root)
                    .setup(RunSetup.empty().with("model", model).with("data", o.data().data())
                            .with("resolution", o.data().resolution()).with("kl_weight", o.klWeight()));
            loop.validator((step, folder) -> reconstructions(objective.vae(), calibration.get(0), step, folder));
            return new VaeTrainer(root, data, objective, loop);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The first {@code n} images of the dataset, centre-cropped, in batches. */
    private static List<NDArray> calibration(CaptionedDataset dataset, int resolution, int n, int batch, NDManager m) {
        int count = Math.min(n, dataset.size());
        EpochSampler inOrder = new EpochSampler(count, 0, false, DataPosition.start());
        ImageBatches b = new ImageBatches(dataset, new ImageTransform(resolution, true, false), inOrder,
                Math.min(batch, count), false);
        List<NDArray> out = new ArrayList<>();
        for (int seen = 0; seen < count; ) {
            NDArray p = b.next(m).pixels();
            out.add(p);
            seen += (int) p.getShape().get(0);
        }
        return out;
    }

    private static void reconstructions(AutoencoderKL vae, NDArray pixels, long step, Path folder) {
        try (NDManager m = pixels.getManager().newSubManager(); Autograd.NoGrad ng = Autograd.noGrad()) {
            NDArray p = pixels.get("0:" + Math.min(SHOWN, pixels.getShape().get(0)));
            p.attach(m);
            NDArray rec = vae.decode(vae.encode(p).mean());
            List<List<BufferedImage>> rows = List.of(toImages(p), toImages(rec));
            Path dir = Files.createDirectories(folder.resolve("step-" + step));
            ImageGrid.write(dir.resolve("reconstructions.png"), rows,
                    List.of("images", "decoded"), null, 4);
        } catch (IOException e) {
            throw new dev.bkd.core.BkdException("cannot write validation images to " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Pixels (B, 3, H, W) in [-1, 1] to 8-bit images, rounded as diffusers' postprocess does. */
    private static List<BufferedImage> toImages(NDArray x) {
        long[] s = x.getShape().getShape();
        int h = (int) s[2];
        int w = (int) s[3];
        float[] d = Scalars.clamp(Scalars.div(x.add(1f), 2f), 0, 1).toType(DataType.FLOAT32, false).toFloatArray();
        List<BufferedImage> out = new ArrayList<>();
        for (int n = 0; n < s[0]; n++) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    int rgb = 0;
                    for (int c = 0; c < 3; c++) {
                        rgb = (rgb << 8) | (int) Math.rint(d[((n * 3 + c) * h + y) * w + xx] * 255f);
                    }
                    img.setRGB(xx, y, rgb);
                }
            }
            out.add(img);
        }
        return out;
    }

    public TrainingLoop loop() {
        return loop;
    }

    public VaeObjective objective() {
        return objective;
    }

    public TrainResult run() {
        return loop.run();
    }

    @Override
    public void close() {
        data.close();
        root.close();
    }
}
