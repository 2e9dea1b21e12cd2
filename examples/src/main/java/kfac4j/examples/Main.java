package kfac4j.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import kfac4j.examples.cli.Command;
import kfac4j.examples.cli.Options;

/** The entry point of the {@code ./kfac4j} launcher: dispatches to one subcommand. */
public final class Main {
    private Main() {
    }

    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        for (Command c : List.<Command>of(new InfoCommand(), new kfac4j.examples.bench.BenchCommand(),
                new kfac4j.examples.train.TrainCommand(), new kfac4j.examples.demo.DemoCommand(),
                new kfac4j.examples.verify.VerifyCommand())) m.put(c.name(), c);
        return m;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit code (0 success, 1 failure, 2 usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.println("usage: ./kfac4j COMMAND [OPTIONS]   (./kfac4j COMMAND --help for its options)\n");
            for (Command c : commands.values()) out.printf("  %-8s %s%n", c.name(), c.summary());
            return args.length == 0 ? 2 : 0;
        }
        Command c = commands.get(args[0]);
        if (c == null) {
            err.println("kfac4j: unknown command '" + args[0] + "'; valid commands: " + String.join(", ", commands.keySet()));
            return 2;
        }
        try {
            Options options = c.options();
            Options.Parsed parsed = options.parse(c.name(), Arrays.asList(args).subList(1, args.length));
            if (parsed.helpRequested()) {
                out.println("usage: ./kfac4j " + c.name() + " [OPTIONS]\n\n" + c.summary() + "\n\noptions:");
                out.print(options.help());
                return 0;
            }
            return c.run(parsed, out);
        } catch (Options.UsageException e) {
            err.println("kfac4j " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("kfac4j " + c.name() + ": " + e);
            return 1;
        }
    }
}
