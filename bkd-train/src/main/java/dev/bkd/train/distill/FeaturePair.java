package dev.bkd.train.distill;

import dev.bkd.core.config.ConfigException;

/** One feature-distillation pair: the teacher module whose output the student module's output must match. */
public record FeaturePair(String teacher, String student) {
    public FeaturePair {
        if (teacher == null || teacher.isBlank() || student == null || student.isBlank()) {
            throw new ConfigException("a feature pair needs a teacher and a student module path, got `" + teacher
                    + "` and `" + student + "`");
        }
    }

    /** Parses {@code TEACHER=STUDENT} (a bare path pairs a module with the same path). */
    public static FeaturePair parse(String text) {
        int eq = text.indexOf('=');
        return eq < 0 ? new FeaturePair(text.strip(), text.strip())
                : new FeaturePair(text.substring(0, eq).strip(), text.substring(eq + 1).strip());
    }

    /** The name of this pair's loss term: {@code teacher~student}. */
    public String key() {
        return teacher + "~" + student;
    }
}
