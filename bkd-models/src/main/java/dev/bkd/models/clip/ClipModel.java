package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ClipVisionConfig;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.WeightFiles;
import dev.bkd.core.weights.Weights;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * transformers {@code CLIPModel}: both towers and their bias-free projections into the shared embedding space
 * (what CLIP score and FD-CLIP measure with). Parameter names are the checkpoint's
 * ({@code vision_model.encoder.layers.0.mlp.fc1.weight}, {@code visual_projection.weight}, ...).
 */
public final class ClipModel extends Module {
    /** Buffers and scalars of the checkpoint that no embedding depends on. */
    private static final Pattern UNUSED = Pattern.compile("(text|vision)_model\\.embeddings\\.position_ids|logit_scale");
    /** Head width of every OpenAI CLIP (B/32, B/16, L/14, their text towers): the one size shapes do not show. */
    static final int OPENAI_HEAD_DIM = 64;

    private final ClipTextConfig textConfig;
    private final ClipVisionConfig visionConfig;
    final ClipTextTransformer textModel;
    final ClipVisionTransformer visionModel;
    final Linear visualProjection;
    final Linear textProjection;

    public ClipModel(ClipTextConfig textConfig, ClipVisionConfig visionConfig, int projectionDim) {
        this.textConfig = textConfig;
        this.visionConfig = visionConfig;
        textModel = child("text_model", new ClipTextTransformer(textConfig));
        visionModel = child("vision_model", new ClipVisionTransformer(visionConfig));
        visualProjection = child("visual_projection", new Linear(visionConfig.hiddenSize(), projectionDim, false));
        textProjection = child("text_projection", new Linear(textConfig.hiddenSize(), projectionDim, false));
    }

    public ClipTextConfig textConfig() {
        return textConfig;
    }

    public ClipVisionConfig visionConfig() {
        return visionConfig;
    }

    public ClipVisionTransformer visionModel() {
        return visionModel;
    }

    public ClipTextTransformer textModel() {
        return textModel;
    }

    /** get_image_features: {@code pixels} (B, 3, S, S) preprocessed to (B, projection_dim), unnormalised. */
    public NDArray imageEmbeddings(NDArray pixels) {
        NDArray out = Scoped.keep(() -> visualProjection.forward(visionModel.forward(pixels).pooled()));
        out.attach(pixels.getManager());
        return out;
    }

    /** get_text_features: token ids (B, T) to (B, projection_dim), pooled at the first end-of-text token. */
    public NDArray textEmbeddings(NDArray inputIds) {
        ClipTextOutput o = textModel.forward(inputIds);
        NDArray out = textProjection.forward(o.pooledOutput());
        o.lastHiddenState().close();
        o.pooledOutput().close();
        o.hiddenStates().forEach(NDArray::close);
        return out;
    }

    /**
     * Loads a transformers CLIP folder ({@code config.json} with text_config/vision_config and model.safetensors)
     * or a single safetensors file. For a file, a {@code config.json} beside it is used when present; otherwise
     * the sizes come from the tensor shapes, with OpenAI's 64-wide heads, quick_gelu and eps 1e-5.
     */
    public static ClipModel load(Path path, NDManager manager, Weights.LoadOptions options) {
        if (!Files.exists(path)) {
            throw new BkdException("CLIP weights not found: " + path + " (give a transformers CLIP folder such as "
                    + "openai/clip-vit-large-patch14, or its model.safetensors)");
        }
        Path file = Files.isDirectory(path) ? WeightFiles.resolve(path, null) : path;
        Path configFile = (Files.isDirectory(path) ? path : path.toAbsolutePath().getParent()).resolve("config.json");
        try (StateDict weights = StateDicts.open(file)) {
            ClipModel model = Files.isRegularFile(configFile) ? fromConfig(ConfigReader.read(configFile))
                    : fromShapes(weights, file.toString());
            Weights.load(model, weights, manager, options.ignoring(k -> UNUSED.matcher(k).matches()), file.toString());
            return model;
        }
    }

    static ClipModel fromConfig(ConfigReader r) {
        r.requireOneOf("model_type", "clip");
        ClipTextConfig text = ClipTextConfig.from(section(r, "text_config"));
        ClipVisionConfig vision = ClipVisionConfig.from(section(r, "vision_config"));
        int proj = r.getInt("projection_dim", 512);
        return new ClipModel(text, vision, proj);
    }

    private static ConfigReader section(ConfigReader r, String field) {
        if (!(r.raw(field) instanceof ObjectNode node)) {
            throw r.error(field, "is missing or not an object; a CLIPModel config.json has text_config and "
                    + "vision_config");
        }
        return new ConfigReader(r.label() + " " + field, node);
    }

    /** Sizes from shapes, for a lone safetensors file of an OpenAI CLIP (heads: width / 64, at least 1). */
    public static ClipModel fromShapes(StateDict w, String source) {
        Shape tok = shape(w, "text_model.embeddings.token_embedding.weight", source);
        Shape tpos = shape(w, "text_model.embeddings.position_embedding.weight", source);
        Shape patch = shape(w, "vision_model.embeddings.patch_embedding.weight", source);
        Shape vpos = shape(w, "vision_model.embeddings.position_embedding.weight", source);
        Shape proj = shape(w, "visual_projection.weight", source);
        int th = (int) tok.get(1);
        int vh = (int) patch.get(0);
        int p = (int) patch.get(2);
        int side = (int) Math.round(Math.sqrt(vpos.get(0) - 1));
        ClipTextConfig td = ClipTextConfig.defaults();
        ClipTextConfig text = new ClipTextConfig((int) tok.get(0), th,
                (int) shape(w, "text_model.encoder.layers.0.mlp.fc1.weight", source).get(0), (int) proj.get(0),
                layers(w, "text_model"), Math.max(1, th / OPENAI_HEAD_DIM), (int) tpos.get(0), "quick_gelu", 1e-5, 0, 0.02, 1,
                td.padTokenId(), td.bosTokenId(), td.eosTokenId(), null);
        ClipVisionConfig vision = new ClipVisionConfig(vh,
                (int) shape(w, "vision_model.encoder.layers.0.mlp.fc1.weight", source).get(0), (int) proj.get(0),
                layers(w, "vision_model"), Math.max(1, vh / OPENAI_HEAD_DIM), (int) patch.get(1), side * p, p, "quick_gelu", 1e-5);
        return new ClipModel(text, vision, (int) proj.get(0));
    }

    private static Shape shape(StateDict w, String key, String source) {
        if (!w.contains(key)) {
            throw new BkdException(source + " has no tensor " + key + ": not a transformers CLIPModel state dict "
                    + "(put its config.json beside it, or give the model folder)");
        }
        return w.spec(key).shape();
    }

    private static int layers(StateDict w, String tower) {
        Pattern p = Pattern.compile(Pattern.quote(tower) + "\\.encoder\\.layers\\.(\\d+)\\..*");
        int n = 0;
        for (String k : w.keys()) {
            Matcher m = p.matcher(k);
            if (m.matches()) {
                n = Math.max(n, Integer.parseInt(m.group(1)) + 1);
            }
        }
        return n;
    }
}
