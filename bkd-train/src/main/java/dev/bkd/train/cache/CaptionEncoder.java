package dev.bkd.train.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;

/** Encodes a batch of captions, e.g. to CLIP hidden states; outputs lead with the batch size. */
@FunctionalInterface
public interface CaptionEncoder {
    /** Named outputs, each of shape (B, ...), created in {@code manager}. */
    Map<String, NDArray> encode(List<String> captions, NDManager manager);
}
