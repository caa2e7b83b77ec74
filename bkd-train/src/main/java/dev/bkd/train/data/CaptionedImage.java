package dev.bkd.train.data;

import dev.bkd.core.random.Generator;
import java.nio.file.Path;
import java.util.List;

/**
 * One usable dataset item: the image (inside the data folder), one or more captions (a metadata list gives
 * alternatives, one drawn per epoch like diffusers), and where it was declared ({@code metadata.jsonl line 7}).
 */
public record CaptionedImage(Path file, String relativePath, List<String> captions, String origin) {
    public CaptionedImage {
        captions = List.copyOf(captions);
        if (captions.isEmpty()) {
            throw new IllegalArgumentException(origin + ": no caption");
        }
    }

    /** The caption for one visit: the only one, or a random pick among alternatives (diffusers' random.choice). */
    public String caption(Generator rng) {
        return captions.size() == 1 ? captions.get(0) : captions.get(rng.nextInt(captions.size()));
    }
}
