package dev.bkd.core.singlefile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parsed rules file {@code ldm-keys.txt} (its header documents the format). The file is the key map;
 * this class only reads and expands it, so a layout fix is a data change.
 */
final class KeyRules {
    /** One block rule before its variables are expanded. */
    record Rule(String component, String diffusers, String file, String group, List<Range> ranges) {}

    record Range(String var, int from, String to) {}

    /** One group entry: {@code diffusers} part, {@code file} part, op. */
    record Inner(String diffusers, String file, KeyOp op) {}

    private static final Pattern EXPR = Pattern.compile("\\{([^}]*)}");
    private static final Pattern TERM = Pattern.compile("([+-]?)(\\d*)([a-z]?)");
    private static final KeyRules INSTANCE = load();

    final List<Rule> rules;
    final Map<String, List<Inner>> groups;
    final List<Pattern> ignored;

    private KeyRules(List<Rule> rules, Map<String, List<Inner>> groups, List<Pattern> ignored) {
        this.rules = rules;
        this.groups = groups;
        this.ignored = ignored;
    }

    static KeyRules get() {
        return INSTANCE;
    }

    private static KeyRules load() {
        String text;
        try (InputStream in = KeyRules.class.getResourceAsStream("ldm-keys.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource ldm-keys.txt missing from the jar");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read ldm-keys.txt", e);
        }
        List<Rule> rules = new ArrayList<>();
        Map<String, List<Inner>> groups = new LinkedHashMap<>();
        List<Pattern> ignored = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] f = t.split("\\s+");
            try {
                if (f[0].equals("ignore")) {
                    ignored.add(Pattern.compile(f[1]));
                } else if (f[0].startsWith("@")) {
                    groups.computeIfAbsent(f[0].substring(1), g -> new ArrayList<>())
                            .add(new Inner(f[1], f[2], KeyOp.parse(f.length > 3 ? f[3] : null)));
                } else {
                    String group = f.length > 3 && !f[3].contains("=") ? f[3] : "-";
                    List<Range> ranges = new ArrayList<>();
                    for (int i = 3; i < f.length; i++) {
                        if (f[i].contains("=")) {
                            String[] r = f[i].split("=|\\.\\.");
                            ranges.add(new Range(r[0], Integer.parseInt(r[1]), r[2]));
                        }
                    }
                    rules.add(new Rule(f[0], f[1], f[2], group, ranges));
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException("ldm-keys.txt line " + lineNo + ": cannot parse `" + t + "`", e);
            }
        }
        for (Rule r : rules) {
            if (!r.group().equals("-") && !groups.containsKey(r.group())) {
                throw new IllegalStateException("ldm-keys.txt: rule " + r + " names unknown group " + r.group());
            }
        }
        return new KeyRules(List.copyOf(rules), Map.copyOf(groups), List.copyOf(ignored));
    }

    /** Every (diffusers, file) name pair of {@code component}'s rules, variables expanded; {@code te} bounds TE. */
    List<Pair> expand(String component, int te) {
        List<Pair> out = new ArrayList<>();
        for (Rule r : rules) {
            if (r.component().equals(component)) {
                expand(r, 0, new HashMap<>(), te, out);
            }
        }
        return out;
    }

    /** An expanded rule: concrete names and the group applied to the rest of the key. */
    record Pair(String diffusers, String file, String group) {
        boolean prefix() {
            return diffusers.endsWith(".");
        }
    }

    private void expand(Rule r, int k, Map<String, Integer> vars, int te, List<Pair> out) {
        if (k == r.ranges().size()) {
            out.add(new Pair(substitute(r.diffusers(), vars), substitute(r.file(), vars), r.group()));
            return;
        }
        Range range = r.ranges().get(k);
        int to = range.to().equals("TE") ? te : Integer.parseInt(range.to());
        for (int v = range.from(); v < to; v++) {
            vars.put(range.var(), v);
            expand(r, k + 1, vars, te, out);
        }
        vars.remove(range.var());
    }

    private static String substitute(String template, Map<String, Integer> vars) {
        Matcher m = EXPR.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Integer.toString(eval(m.group(1), vars)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** A linear expression: terms {@code [+-][coefficient][variable]}, e.g. {@code 3i+j+1}, {@code 3-i}. */
    static int eval(String expr, Map<String, Integer> vars) {
        int sum = 0;
        Matcher m = TERM.matcher(expr.replace(" ", ""));
        int end = 0;
        while (end < expr.length() && m.find(end) && m.end() > m.start()) {
            int sign = m.group(1).equals("-") ? -1 : 1;
            int coef = m.group(2).isEmpty() ? 1 : Integer.parseInt(m.group(2));
            int value = 1;
            if (!m.group(3).isEmpty()) {
                Integer v = vars.get(m.group(3));
                if (v == null) {
                    throw new IllegalStateException("ldm-keys.txt: variable " + m.group(3) + " unbound in {" + expr + "}");
                }
                value = v;
            }
            sum += sign * coef * value;
            end = m.end();
        }
        if (end != expr.length()) {
            throw new IllegalStateException("ldm-keys.txt: cannot evaluate {" + expr + "}");
        }
        return sum;
    }
}
