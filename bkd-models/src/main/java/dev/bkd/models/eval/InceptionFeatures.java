package dev.bkd.models.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.models.inception.InceptionV3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * pytorch-fid's feature extraction ({@code get_activations}): pictures as ToTensor gives them ([0, 1] float32,
 * u8 / 255), batched (consecutive pictures of one size share a batch), through the FID Inception-v3 to 2048-d
 * pool3 features.
 */
public final class InceptionFeatures implements AutoCloseable {
    private final InceptionV3 model;
    private final NDManager manager;
    private final int batchSize;

    private InceptionFeatures(InceptionV3 model, NDManager manager, int batchSize) {
        this.model = model;
        this.manager = manager;
        this.batchSize = batchSize;
    }

    /**
     * Loads pytorch-fid's weights ({@code pt_inception-2015-12-05-6726825d.pth} converted to safetensors once, keys
     * unchanged).
     */
    public static InceptionFeatures load(Path weights, NDManager parent, int batchSize) {
        if (!Files.isRegularFile(weights)) {
            throw new BkdException("FID Inception weights not found: " + weights + " (convert pytorch-fid's "
                    + "pt_inception-2015-12-05-6726825d.pth to safetensors with its keys unchanged)");
        }
        NDManager manager = parent.newSubManager();
        try (StateDict sd = StateDicts.open(weights)) {
            return new InceptionFeatures(InceptionV3.fromStateDict(sd, manager, weights.toString()), manager, batchSize);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public InceptionV3 model() {
        return model;
    }

    /** torchvision's ToTensor: (3, H, W) float32 u8 / 255. */
    static float[] toTensor(RgbImage img) {
        int plane = img.width() * img.height();
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                out[c * plane + i] = (img.hwc()[i * 3 + c] & 0xFF) / 255f;
            }
        }
        return out;
    }

    /** pool3 features, one 2048-d row per picture. */
    public float[][] features(List<RgbImage> images) {
        float[][] out = new float[images.size()][];
        int start = 0;
        while (start < images.size()) {
            RgbImage first = images.get(start);
            int end = start + 1;
            while (end < images.size() && end - start < batchSize && images.get(end).width() == first.width()
                    && images.get(end).height() == first.height()) {
                end++;
            }
            int plane = 3 * first.width() * first.height();
            float[] batch = new float[(end - start) * plane];
            for (int i = start; i < end; i++) {
                System.arraycopy(toTensor(images.get(i)), 0, batch, (i - start) * plane, plane);
            }
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = scope.create(batch, new Shape(end - start, 3, first.height(), first.width()));
                float[] f = model.features(x).toFloatArray();
                for (int i = start; i < end; i++) {
                    out[i] = java.util.Arrays.copyOfRange(f, (i - start) * InceptionV3.FEATURES,
                            (i - start + 1) * InceptionV3.FEATURES);
                }
            }
            start = end;
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
