package dev.bkd.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * What {@code GET /sdapi/v1/progress} reports: A1111's {@code shared.state} for the job that started last (with one
 * worker, the only one). {@code progress} and {@code eta_relative} are computed as A1111 does: 0.01 + finished
 * images / images + the step fraction of the current one; eta = elapsed / progress - elapsed.
 */
final class Progress {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    private Job job;
    private int jobCount;
    private int jobNo;
    private int step;
    private int steps;
    private long startNanos;
    private String timestamp = "0";
    private boolean interrupted;

    synchronized String begin(Job j) {
        job = j;
        jobCount = j.params.imageCount();
        jobNo = 0;
        step = 0;
        steps = j.params.steps();
        startNanos = System.nanoTime();
        timestamp = LocalDateTime.now().format(STAMP);
        interrupted = false;
        return timestamp;
    }

    synchronized void image(Job j, int no) {
        if (job == j) {
            jobNo = no;
            step = 0;
        }
    }

    synchronized void step(Job j, int done, int total) {
        if (job == j) {
            step = done;
            steps = total;
        }
    }

    synchronized void interrupted(Job j) {
        if (job == j) {
            interrupted = true;
        }
    }

    synchronized void end(Job j) {
        if (job == j) {
            job = null;
            jobCount = 0;
            jobNo = 0;
            step = 0;
        }
    }

    synchronized ObjectNode toJson(ObjectMapper json) {
        double progress = 0;
        double eta = 0;
        if (job != null && jobCount > 0) {
            progress = 0.01 + (double) jobNo / jobCount + (steps > 0 ? (double) step / steps / jobCount : 0);
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            eta = elapsed / progress - elapsed;
            progress = Math.min(progress, 1);
        }
        ObjectNode out = json.createObjectNode();
        out.put("progress", progress);
        out.put("eta_relative", eta);
        ObjectNode state = out.putObject("state");
        state.put("skipped", false);
        state.put("interrupted", interrupted);
        state.put("job", job == null ? "" : job.params.job());
        state.put("job_count", jobCount);
        state.put("job_timestamp", timestamp);
        state.put("job_no", jobNo);
        state.put("sampling_step", step);
        state.put("sampling_steps", steps);
        out.putNull("current_image");
        out.putNull("textinfo");
        return out;
    }
}
