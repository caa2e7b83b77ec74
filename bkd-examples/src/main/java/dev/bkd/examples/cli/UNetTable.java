package dev.bkd.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.prune.PrunePlan;
import dev.bkd.core.prune.UNetCost;
import dev.bkd.core.unet.UNet2DConditionModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** The per-block table of a UNet config (parameters, MACs) and its pruning lineage, as {@code bkd inspect} prints it. */
final class UNetTable {
    /** SD's text encoders emit 77 tokens. */
    static final int TEXT_TOKENS = 77;

    private UNetTable() {}

    static void print(PrintWriter out, UNet2DConditionConfig c) {
        int latent = c.sampleSize() == null ? 64 : c.sampleSize().get(0);
        int width = c.sampleSize() == null || c.sampleSize().size() == 1 ? latent : c.sampleSize().get(1);
        UNetCost cost;
        try {
            cost = UNetCost.of(new UNet2DConditionModel(c), latent, width, TEXT_TOKENS);
        } catch (IllegalArgumentException e) {
            out.println("  blocks: MACs not counted: " + e.getMessage());
            return;
        }
        out.printf("  blocks (MACs of one forward at sample_size %dx%d = %dx%d px, batch 1, %d text tokens%s):%n",
                latent, width, latent * 8, width * 8, TEXT_TOKENS, c.sampleSize() == null ? "; no sample_size" : "");
        String fmt = "  %-7s %-24s %-24s %7s %5s %11s %13s %17s%n";
        out.printf(fmt, "stage", "module", "type", "resnets", "attns", "channels", "parameters", "MACs");
        for (UNetCost.Row r : cost.rows()) {
            out.printf(fmt, r.stage(), r.path(), r.type(), r.resnets(), r.attentions(),
                    r.inChannels() + "->" + r.outChannels(), String.format("%,d", r.parameters()),
                    String.format("%,d", r.macs()));
        }
        out.printf(fmt, "total", "", "", "", "", "", String.format("%,d", cost.parameters()),
                String.format("%,d", cost.macs()));
        ObjectNode lineage = PrunePlan.lineageOf(c);
        if (lineage != null) {
            List<String> removed = new ArrayList<>();
            JsonNode r = lineage.path("removed_blocks");
            r.forEach(n -> removed.add(n.asText()));
            out.printf("  pruned by bkd from %s (variant %s, %,d -> %,d parameters)%n",
                    lineage.path("teacher").asText("?"), lineage.path("variant").asText("?"),
                    lineage.path("teacher_parameters").asLong(), lineage.path("student_parameters").asLong());
            out.println("  removed teacher blocks: " + (removed.isEmpty() ? "none" : String.join(", ", removed)));
        }
    }
}
