package dev.bkd.examples.cli;

import picocli.CommandLine.Option;

/** {@code --verbose}, declared once for every command; {@link BkdCli} prints stack traces when it was given. */
final class VerboseMixin {
    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;
}
