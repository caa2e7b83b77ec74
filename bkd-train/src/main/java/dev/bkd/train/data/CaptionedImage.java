package dev.bkd.train.data;

import dev.bkd.core.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One usable dataset item: the image (inside the data folder), one or more captions (a metadata list gives
 * alternatives, one drawn per epoch like diffusers), and where it was declared ({@code metadata.jsonl line 7}).
 * An item of a webdataset shard has {@code member} set: its image is that member of the tar {@code file}.
 */
public record CaptionedImage(Path file, String relativePath, List<String> captions, String origin,
                             TarIndex.Member member) {
    /** An image file of its own. */
    public CaptionedImage(Path file, String relativePath, List<String> captions, String origin) {
        this(file, relativePath, captions, origin, null);
    }

    public CaptionedImage {
        captions = List.copyOf(captions);
        if (captions.isEmpty()) {
            throw new IllegalArgumentException(origin + ": no caption");
        }
    }

    /** Size in bytes of the encoded image (the file, or the tar member). */
    public long byteSize() throws IOException {
        return member != null ? member.size() : Files.size(file);
    }

    /** The caption for one visit: the only one, or a random pick among alternatives (diffusers' random.choice). */
    public String caption(Generator rng) {
        return captions.size() == 1 ? captions.get(0) : captions.get(rng.nextInt(captions.size()));
    }
}
