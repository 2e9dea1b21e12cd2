package kfac4j.examples.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options a command accepts: {@code --name VALUE} options with defaults and {@code --flag} switches. Unknown
 * options and bad values fail with a message that lists what is valid.
 */
public final class Options {
    private record Spec(String name, String valueName, String defaultValue, List<String> choices, String help) {
    }

    /** Thrown for a command line that does not fit the options; the message says what is valid. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, Spec> specs = new LinkedHashMap<>();

    /** An option that takes a value, with a default (null: required) and an optional list of allowed values. */
    public Options value(String name, String valueName, String defaultValue, String help, String... choices) {
        specs.put(name, new Spec(name, valueName, defaultValue, List.of(choices), help));
        return this;
    }

    /** A switch without a value. */
    public Options flag(String name, String help) {
        specs.put(name, new Spec(name, null, null, List.of(), help));
        return this;
    }

    /** The help text: one line per option. */
    public String help() {
        StringBuilder sb = new StringBuilder();
        for (Spec s : specs.values()) {
            String left = "  --" + s.name + (s.valueName == null ? "" : " " + s.valueName);
            sb.append(String.format("%-28s %s", left, s.help));
            if (!s.choices.isEmpty()) sb.append(" (one of: ").append(String.join(", ", s.choices)).append(')');
            if (s.defaultValue != null) sb.append(" [default: ").append(s.defaultValue).append(']');
            sb.append('\n');
        }
        sb.append(String.format("%-28s %s%n", "  --help", "show this help"));
        return sb.toString();
    }

    /** Parses {@code args}; {@code --help} yields a result whose {@link Parsed#helpRequested()} is true. */
    public Parsed parse(String command, List<String> args) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> flags = new ArrayList<>();
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
                continue;
            }
            if (!a.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument '" + a + "'; valid options: " + names());
            }
            String name = a.substring(2), inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Spec s = specs.get(name);
            if (s == null) throw new UsageException(command + ": unknown option --" + name + "; valid options: " + names());
            if (s.valueName == null) {
                flags.add(name);
                continue;
            }
            String v = inline != null ? inline : (i + 1 < args.size() ? args.get(++i) : null);
            if (v == null) throw new UsageException(command + ": option --" + name + " needs a value (" + s.valueName + ")");
            if (!s.choices.isEmpty() && !s.choices.contains(v)) {
                throw new UsageException(command + ": --" + name + " " + v + " is not valid; choose one of: "
                        + String.join(", ", s.choices));
            }
            values.put(name, v);
        }
        for (Spec s : specs.values()) {
            if (s.valueName != null && !values.containsKey(s.name) && s.defaultValue != null) values.put(s.name, s.defaultValue);
        }
        return new Parsed(command, values, flags, help);
    }

    private String names() {
        List<String> n = new ArrayList<>();
        for (String s : specs.keySet()) n.add("--" + s);
        n.add("--help");
        return String.join(", ", n);
    }

    /** Parsed values, with typed accessors that name the option when a value does not parse. */
    public record Parsed(String command, Map<String, String> values, List<String> flags, boolean helpRequested) {
        public boolean has(String flag) {
            return flags.contains(flag);
        }

        public String string(String name) {
            String v = values.get(name);
            if (v == null) throw new UsageException(command + ": option --" + name + " is required");
            return v;
        }

        public String stringOrNull(String name) {
            return values.get(name);
        }

        public int integer(String name) {
            String v = string(name);
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new UsageException(command + ": --" + name + " expects a whole number, got '" + v + "'");
            }
        }

        public double real(String name) {
            String v = string(name);
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new UsageException(command + ": --" + name + " expects a number, got '" + v + "'");
            }
        }
    }
}
