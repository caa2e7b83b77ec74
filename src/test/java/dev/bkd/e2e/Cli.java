package dev.bkd.e2e;

import dev.bkd.examples.cli.BkdCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the real CLI in-process and captures what it prints. */
record Cli(int code, String out, String err) {
    static Cli run(String... args) {
        return runIn(null, args);
    }

    /** Runs with relative path options resolved against {@code dir} (null: the process's working directory). */
    static Cli runIn(Path dir, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BkdCli.run(new PrintWriter(out), new PrintWriter(err), dir, args);
        return new Cli(code, out.toString(), err.toString());
    }
}
