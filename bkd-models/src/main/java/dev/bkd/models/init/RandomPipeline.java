package dev.bkd.models.init;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ModelIndex;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.core.random.Generator;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.RandomInit;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextInit;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.WordVocabulary;
import dev.bkd.models.vae.AutoencoderKL;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A randomly initialised text-to-image pipeline folder in the diffusers layout (model_index.json, tokenizer/,
 * text_encoder/, unet/, vae/, scheduler/) built from a {@link PipelineSpec}. Each model draws from its own stream
 * split off the seed in a fixed order, so changing one component's spec leaves the others' weights unchanged.
 */
public final class RandomPipeline {
    /** Parameter counts of what was written. */
    public record Result(Path out, long textEncoderParameters, long unetParameters, long vaeParameters) {}

    private RandomPipeline() {}

    public static Result create(PipelineSpec spec, long seed, Path out, boolean force) {
        Generator root = new Generator(seed);
        Generator textRng = root.split();
        Generator unetRng = root.split();
        Generator vaeRng = root.split();
        try (AtomicFolder folder = AtomicFolder.begin(out, force); NDManager m = NDManager.newBaseManager()) {
            Path dir = folder.dir();
            WordVocabulary.write(spec.vocabulary(), spec.maxLength(), dir.resolve("tokenizer"));

            ClipTextModel text = new ClipTextModel(spec.textEncoder());
            ClipTextInit.apply(text, textRng, m);
            text.save(Files.createDirectories(dir.resolve("text_encoder")));

            UNet2DConditionModel unet = new UNet2DConditionModel(spec.unet());
            RandomInit.torchDefaults(unet, unetRng, m);
            unet.save(Files.createDirectories(dir.resolve("unet")));

            AutoencoderKL vae = new AutoencoderKL(spec.vae());
            RandomInit.torchDefaults(vae, vaeRng, m);
            vae.save(Files.createDirectories(dir.resolve("vae")));

            spec.scheduler().write(Files.createDirectories(dir.resolve("scheduler")).resolve("scheduler_config.json"));
            modelIndex(spec).save(dir.resolve("model_index.json"));
            folder.commit();
            return new Result(folder.target(), Weights.parameterCount(text), unet.parameterCount(),
                    Weights.parameterCount(vae));
        } catch (IOException e) {
            throw new BkdException("cannot write the pipeline to " + out + ": " + e.getMessage(), e);
        }
    }

    /** diffusers' StableDiffusionPipeline index without safety checker. */
    static ModelIndex modelIndex(PipelineSpec spec) {
        Map<String, ModelIndex.Component> c = new LinkedHashMap<>();
        c.put("feature_extractor", new ModelIndex.Component(null, null));
        c.put("safety_checker", new ModelIndex.Component(null, null));
        c.put("scheduler", new ModelIndex.Component("diffusers", spec.scheduler().className()));
        c.put("text_encoder", new ModelIndex.Component("transformers", "CLIPTextModel"));
        c.put("tokenizer", new ModelIndex.Component("transformers", "CLIPTokenizer"));
        c.put("unet", new ModelIndex.Component("diffusers", UNet2DConditionConfig.CLASS_NAME));
        c.put("vae", new ModelIndex.Component("diffusers", "AutoencoderKL"));
        var extras = dev.bkd.core.config.ConfigReader.MAPPER.createObjectNode();
        extras.put("_diffusers_version", UNet2DConditionConfig.DIFFUSERS_VERSION);
        extras.put("requires_safety_checker", false);
        return new ModelIndex("StableDiffusionPipeline", c, extras);
    }
}
