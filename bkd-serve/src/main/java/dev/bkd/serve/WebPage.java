package dev.bkd.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The single-page UI served at {@code /} (resource {@code index.html} next to this class). */
final class WebPage {
    private WebPage() {}

    static byte[] bytes() {
        try (InputStream in = WebPage.class.getResourceAsStream("index.html")) {
            if (in == null) {
                throw new IllegalStateException("dev/bkd/serve/index.html is missing from the bkd-serve jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
