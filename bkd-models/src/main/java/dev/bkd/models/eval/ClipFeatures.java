package dev.bkd.models.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CLIP model with its image processor and tokenizer, turning pictures and captions into embeddings in batches:
 * what CLIP score and FD-CLIP measure with. Text is tokenized like torchmetrics' processor call: untruncated ids,
 * cut to the model's positions if longer (which drops the end-of-text token, as torchmetrics does), and padded
 * with end-of-text; padding never changes the pooled output because CLIP's text attention is causal.
 */
public final class ClipFeatures implements AutoCloseable {
    private final ClipModel model;
    private final ClipImageProcessor processor;
    private final ClipTokenizer tokenizer;
    private final NDManager manager;
    private final int batchSize;

    public ClipFeatures(ClipModel model, ClipImageProcessor processor, ClipTokenizer tokenizer, NDManager manager,
            int batchSize) {
        this.model = model;
        this.processor = processor;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.batchSize = batchSize;
    }

    /**
     * Loads a transformers CLIP folder (config.json, model.safetensors, preprocessor_config.json, vocab.json,
     * merges.txt) or a model.safetensors whose folder holds the rest. Without preprocessor_config.json the
     * processor is OpenAI's at the model's image size.
     */
    public static ClipFeatures load(Path clip, NDManager parent, int batchSize) {
        Path dir = Files.isDirectory(clip) ? clip : clip.toAbsolutePath().getParent();
        if (!Files.isRegularFile(dir.resolve("vocab.json")) && !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new BkdException("no CLIP tokenizer next to " + clip + ": the folder needs vocab.json + merges.txt "
                    + "(or tokenizer.json), as in openai/clip-vit-large-patch14");
        }
        NDManager manager = parent.newSubManager();
        try {
            ClipModel model = ClipModel.load(clip, manager, Weights.LoadOptions.strictFp32());
            Path pre = dir.resolve("preprocessor_config.json");
            ClipImageProcessor processor = Files.isRegularFile(pre) ? ClipImageProcessor.read(pre)
                    : ClipImageProcessor.openai(model.visionConfig().imageSize());
            return new ClipFeatures(model, processor, ClipTokenizer.fromPretrained(dir), manager, batchSize);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public ClipModel model() {
        return model;
    }

    public ClipImageProcessor processor() {
        return processor;
    }

    /** get_image_features of each picture, batched. */
    public float[][] imageEmbeddings(List<RgbImage> images) {
        float[][] out = new float[images.size()][];
        for (int start = 0; start < images.size(); start += batchSize) {
            List<RgbImage> batch = images.subList(start, Math.min(images.size(), start + batchSize));
            try (NDManager scope = manager.newSubManager()) {
                NDArray px = processor.pixelValues(batch, scope);
                rows(model.imageEmbeddings(px), out, start);
            }
        }
        return out;
    }

    /** get_text_features of each caption, batched. */
    public float[][] textEmbeddings(List<String> captions) {
        float[][] out = new float[captions.size()][];
        int max = model.textConfig().maxPositionEmbeddings();
        for (int start = 0; start < captions.size(); start += batchSize) {
            List<String> batch = captions.subList(start, Math.min(captions.size(), start + batchSize));
            List<int[]> ids = new ArrayList<>();
            int len = 0;
            for (String c : batch) {
                int[] t = tokenizer.tokenizePrompt(c).ids();
                int[] cut = java.util.Arrays.copyOf(t, Math.min(t.length, max));
                ids.add(cut);
                len = Math.max(len, cut.length);
            }
            long[] flat = new long[batch.size() * len];
            java.util.Arrays.fill(flat, tokenizer.eosTokenId());
            for (int i = 0; i < ids.size(); i++) {
                for (int j = 0; j < ids.get(i).length; j++) {
                    flat[i * len + j] = ids.get(i)[j];
                }
            }
            try (NDManager scope = manager.newSubManager()) {
                rows(model.textEmbeddings(scope.create(flat, new ai.djl.ndarray.types.Shape(batch.size(), len))),
                        out, start);
            }
        }
        return out;
    }

    /** torchmetrics' per-pair 100·cos for pictures and their captions. */
    public double[] pairScores(List<RgbImage> images, List<String> captions) {
        return ClipScore.pairScores(imageEmbeddings(images), textEmbeddings(captions));
    }

    private static void rows(NDArray emb, float[][] out, int start) {
        int d = (int) emb.getShape().get(1);
        float[] flat = emb.toFloatArray();
        for (int i = 0; i < flat.length / d; i++) {
            out[start + i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}
