package dev.bkd.examples.cli;

import dev.bkd.core.BkdException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bkd} command line. */
@Command(name = "bkd", mixinStandardHelpOptions = true, version = "bkd 0.1.0-SNAPSHOT",
        description = "Load, run, prune and distill Stable Diffusion models on the JVM.",
        subcommands = {InspectCommand.class, PruneCommand.class, DistillCommand.class, BenchmarkCommand.class,
                TokenizeCommand.class, GenerateCommand.class, DemoCommand.class, DemoDataCommand.class,
                InitCommand.class, TrainVaeCommand.class, FinetuneCommand.class, LoraCommand.class,
                DemoScoreCommand.class, ConvertCommand.class, CacheCommand.class, DoctorCommand.class,
                ServeCommand.class, EvalCommand.class, CommandLine.HelpCommand.class})
public final class BkdCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Folder relative paths are read against; null: the process's. */
    private Path workDir;

    /** {@code text} as a path, relative ones taken against the folder the CLI runs in (see {@link #run}). */
    Path resolve(String text) {
        return workDir == null ? Path.of(text) : workDir.resolve(text);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (0 ok, 1 failure, 2 bad arguments). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output streams (tests, embedding). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, null, args);
    }

    /**
     * As {@link #run(PrintWriter, PrintWriter, String...)} with relative path options resolved against
     * {@code workDir} instead of the process's working directory (a JVM cannot change its own), so an embedding
     * program or test can run commands "in" a folder; a text option naming a folder or a hub id (generate
     * --model) is a folder when one exists there. Null means the process's.
     */
    public static int run(PrintWriter out, PrintWriter err, Path workDir, String... args) {
        // Before any DJL class loads: no telemetry, no downloads.
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        BkdCli root = new BkdCli();
        root.workDir = workDir;
        CommandLine cli = new CommandLine(root);
        cli.setOut(out);
        cli.setErr(err);
        cli.registerConverter(Path.class, s -> {
            if (s.isBlank()) { // Path.of("") is the working folder: an empty option would silently name it
                throw new CommandLine.TypeConversionException("is empty; name a file or folder");
            }
            return workDir == null ? Path.of(s) : workDir.resolve(s);
        });
        cli.setExecutionExceptionHandler(BkdCli::handleError);
        cli.getSubcommands().get("prune").getCommandSpec().usageMessage().footer(PruneCommand.variantsHelp());
        cli.setParameterExceptionHandler(BkdCli::handleBadArguments);
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Bad arguments: one line naming the argument and where to find help, exit code 2. */
    private static int handleBadArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String help = cmd.getCommandSpec().qualifiedName() + " --help";
        cmd.getErr().println("bkd: " + e.getMessage().replace('\n', ' ') + " (see " + help + ")");
        cmd.getErr().flush();
        return 2;
    }

    private static int handleError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        boolean verbose = parsed != null && verbose(parsed);
        if (e instanceof CommandLine.ParameterException pe) {
            err.println("bkd: " + pe.getMessage());
            return 2;
        }
        if (e instanceof BkdException || e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException) {
            err.println("bkd: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        }
        err.println("bkd: internal error: " + e);
        e.printStackTrace(err);
        return 1;
    }

    /** --verbose on the command or any subcommand below it (bkd cache build --verbose). */
    private static boolean verbose(CommandLine.ParseResult parsed) {
        return parsed.hasMatchedOption("--verbose") || parsed.subcommands().stream().anyMatch(BkdCli::verbose);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
