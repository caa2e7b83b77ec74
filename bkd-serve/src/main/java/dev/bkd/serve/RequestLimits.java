package dev.bkd.serve;

/**
 * The largest request the server accepts; anything above is refused with 422 before a single array is made, so a
 * request such as {@code width: 100000} or {@code steps: 1e9} cannot exhaust memory or hold the queue for days.
 *
 * @param maxSide largest width or height in pixels
 * @param maxSteps most sampling steps per image (A1111's UI stops at 150)
 * @param maxImages most images per request ({@code batch_size x n_iter})
 * @param maxPromptChars longest prompt or negative prompt in characters
 * @param maxBodyBytes largest request body in bytes (413 above)
 */
public record RequestLimits(int maxSide, int maxSteps, int maxImages, int maxPromptChars, int maxBodyBytes) {
    public RequestLimits {
        if (maxSide < 8 || maxSteps < 1 || maxImages < 1 || maxPromptChars < 1 || maxBodyBytes < 1024) {
            throw new IllegalArgumentException("request limits must be positive (side >= 8, body >= 1024 bytes): "
                    + maxSide + ", " + maxSteps + ", " + maxImages + ", " + maxPromptChars + ", " + maxBodyBytes);
        }
    }

    /** 1024 px, 150 steps, 16 images, 20,000 characters, 8 MiB (init images and masks arrive as base64). */
    public static RequestLimits defaults() {
        return new RequestLimits(1024, 150, 16, 20_000, 8 << 20);
    }
}
