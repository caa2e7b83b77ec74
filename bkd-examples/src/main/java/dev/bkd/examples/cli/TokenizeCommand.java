package dev.bkd.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.tokenizer.TokenizedPrompt;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd tokenize}: the ids the text encoder sees, like the token counters of other SD tools. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the CLIP token ids and tokens of a prompt (warns when it is truncated at 77).")
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Pipeline folder (with tokenizer/) or a tokenizer folder.")
    Path model;

    @Option(names = "--json", description = "Print {\"input_ids\": [77 padded ids], \"tokens\": [...]}.")
    boolean json;

    @Mixin
    VerboseMixin verbose;

    @Parameters(index = "0", paramLabel = "PROMPT")
    String prompt;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() {
        model = checkpoint.folder(model, spec.commandLine().getErr());
        Path dir = Files.isDirectory(model.resolve("tokenizer")) ? model.resolve("tokenizer") : model;
        PrintWriter out = spec.commandLine().getOut();
        try (ClipTokenizer tok = ClipTokenizer.fromPretrained(dir)) {
            TokenizedPrompt tp = tok.tokenizePrompt(prompt);
            int[] padded = tp.padded();
            List<String> tokens = new ArrayList<>();
            tokens.add(tok.config().bosToken());
            List<String> body = tok.tokens(prompt);
            int kept = Math.min(body.size(), tok.modelMaxLength() - 2);
            tokens.addAll(body.subList(0, kept));
            tokens.add(tok.config().eosToken());
            if (json) {
                ObjectNode o = ConfigReader.MAPPER.createObjectNode();
                ArrayNode ids = o.putArray("input_ids");
                for (int id : padded) {
                    ids.add(id);
                }
                ArrayNode t = o.putArray("tokens");
                tokens.forEach(t::add);
                o.put("token_count", tp.tokenCount());
                o.put("truncated", tp.truncated());
                out.println(o.toString());
            } else {
                out.printf("%d tokens (with start/end; the text encoder sees %d, padded with id %d)%n",
                        tp.tokenCount(), tok.modelMaxLength(), tok.padTokenId());
                for (int i = 0; i < tokens.size(); i++) {
                    out.printf("%5d  %s%n", padded[i], tokens.get(i));
                }
            }
            if (tp.truncated()) {
                spec.commandLine().getErr().printf("warning: the prompt has %d tokens; the last %d are cut off at %d%n",
                        tp.tokenCount(), tp.truncatedTokenCount(), tok.modelMaxLength());
            }
        }
        return 0;
    }
}
