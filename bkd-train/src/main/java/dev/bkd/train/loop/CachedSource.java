package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.random.Generator;
import dev.bkd.train.cache.CacheException;
import dev.bkd.train.cache.LatentCache;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.data.EpochSampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Micro-batches from a latent cache built by {@link FrozenEncoders}: the posterior is sampled afresh each visit,
 * the text embeddings are read as cached. Augmentation was frozen when the cache was built.
 */
public final class CachedSource implements BatchSource {
    private final LatentCache cache;
    private final FrozenEncoders encoders;
    private final long seed;
    private final int batchSize;
    private EpochSampler sampler;

    /** {@code encoders} supplies the latent scaling (its models are not run); the cache stays open until close. */
    public CachedSource(LatentCache cache, FrozenEncoders encoders, long seed, int batchSize) {
        Set<String> need = Set.of(FrozenEncoders.LATENT_MEAN, FrozenEncoders.LATENT_STD, FrozenEncoders.PROMPT_EMBEDS);
        if (cache.size() == 0) {
            throw new CacheException("the latent cache holds no items: no image of the dataset could be encoded");
        }
        if (!cache.outputs().containsAll(need)) {
            throw new CacheException("latent cache " + cache.fingerprint() + " holds " + cache.outputs()
                    + " but training needs " + need);
        }
        this.cache = cache;
        this.encoders = encoders;
        this.seed = seed;
        this.batchSize = batchSize;
        seek(DataPosition.start());
    }

    @Override
    public CleanBatch next(NDManager manager, Generator rng) {
        int[] items = sampler.nextBatch(batchSize, false);
        Map<String, NDArray> t = cache.batch(items, manager);
        NDArray latents = encoders.sampleLatents(t.get(FrozenEncoders.LATENT_MEAN), t.get(FrozenEncoders.LATENT_STD), rng);
        List<String> captions = new ArrayList<>();
        for (int i : items) {
            captions.add(cache.caption(i));
        }
        return new CleanBatch(latents, t.get(FrozenEncoders.PROMPT_EMBEDS), captions);
    }

    @Override
    public DataPosition position() {
        return sampler.position();
    }

    @Override
    public void seek(DataPosition position) {
        sampler = new EpochSampler(cache.size(), seed, true, position);
    }

    @Override
    public int size() {
        return cache.size();
    }

    @Override
    public void close() {
        cache.close();
    }
}
