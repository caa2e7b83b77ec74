package dev.bkd.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.examples.shapes.PromptFollowing;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** The demo's closing numbers, printed and as {@code report.json}. */
record DemoReport(VariantBenchmark.Result teacher, VariantBenchmark.Result student, Map<String, Double> losses,
        PromptFollowing teacherScore, PromptFollowing studentScore, Map<String, Double> seconds, Path out, Path grid,
        Path studentPipeline) {
    /** The goal: the student's all-three accuracy within this many points of the teacher's. */
    static final double GOAL_POINTS = 10;

    double gapPoints() {
        return 100 * (teacherScore.all() - studentScore.all());
    }

    void print(PrintWriter w) {
        w.println();
        w.println("=== bkd demo report ===");
        w.printf(Locale.ROOT, "UNet parameters   teacher %,d   student %,d   (%.1f%% of the teacher)%n",
                teacher.parameters(), student.parameters(), 100.0 * student.parameters() / teacher.parameters());
        w.printf(Locale.ROOT, "UNet MACs         teacher %,d   student %,d   (%.1f%%)%n", teacher.macs(), student.macs(),
                100.0 * student.macs() / teacher.macs());
        double tl = teacher.forward().median();
        double sl = student.forward().median();
        w.printf(Locale.ROOT, "UNet latency      teacher %.1f ms   student %.1f ms   (student/teacher %.2f, %.2fx faster)%n",
                1e3 * tl, 1e3 * sl, sl / tl, tl / sl);
        StringBuilder l = new StringBuilder();
        losses.forEach((k, v) -> l.append(String.format(Locale.ROOT, "%s %.4f  ", k, v)));
        w.printf("final loss terms  %s(mean of the last tenth of the steps)%n", l);
        w.printf("prompt following  teacher %s%n", teacherScore.summary());
        w.printf("                  student %s%n", studentScore.summary());
        w.printf(Locale.ROOT, "                  gap %.1f points (goal: within %.0f) -> %s%n", gapPoints(), GOAL_POINTS,
                gapPoints() <= GOAL_POINTS ? "met" : "NOT met");
        StringBuilder t = new StringBuilder();
        seconds.forEach((k, v) -> t.append(String.format(Locale.ROOT, "%s %.0f s  ", k, v)));
        w.printf("time              %s%n", t);
        w.printf("grid:       %s (columns: prompts; rows: teacher and student per seed)%n", grid);
        w.printf("loss curve: %s%n", studentPipeline.resolve("loss.png"));
        w.printf("metrics:    %s%n", studentPipeline.resolve("metrics.jsonl"));
        w.printf("student:    %s (diffusers pipeline folder)%n", studentPipeline);
    }

    ObjectNode json() {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        ObjectNode p = o.putObject("unet_parameters");
        p.put("teacher", teacher.parameters());
        p.put("student", student.parameters());
        ObjectNode m = o.putObject("unet_macs");
        m.put("teacher", teacher.macs());
        m.put("student", student.macs());
        ObjectNode lat = o.putObject("unet_latency_seconds");
        lat.put("teacher", teacher.forward().median());
        lat.put("student", student.forward().median());
        lat.put("student_over_teacher", student.forward().median() / teacher.forward().median());
        ObjectNode l = o.putObject("final_losses");
        losses.forEach(l::put);
        ObjectNode a = o.putObject("prompt_following");
        a.set("teacher", teacherScore.toJson());
        a.set("student", studentScore.toJson());
        a.put("gap_points", gapPoints());
        a.put("goal_met", gapPoints() <= GOAL_POINTS);
        ObjectNode s = o.putObject("seconds");
        seconds.forEach(s::put);
        ObjectNode f = o.putObject("files");
        f.put("grid", grid.toString());
        f.put("loss_curve", studentPipeline.resolve("loss.png").toString());
        f.put("metrics", studentPipeline.resolve("metrics.jsonl").toString());
        f.put("student_pipeline", studentPipeline.toString());
        return o;
    }
}
