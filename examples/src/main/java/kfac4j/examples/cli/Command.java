package kfac4j.examples.cli;

import java.io.PrintStream;

/** One subcommand of the launcher. */
public interface Command {
    /** The word that selects it, as in {@code ./kfac4j NAME}. */
    String name();

    /** One line for the command list. */
    String summary();

    /** The options this command accepts, for {@code --help} and for rejecting unknown ones. */
    Options options();

    /** Runs with parsed arguments; returns the process exit code. */
    int run(Options.Parsed args, PrintStream out) throws Exception;
}
