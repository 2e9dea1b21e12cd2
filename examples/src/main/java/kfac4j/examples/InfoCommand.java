package kfac4j.examples;

import java.io.PrintStream;

import kfac4j.examples.cli.Command;
import kfac4j.examples.cli.Options;
import kfac4j.tensor.kernel.Kernels;

/** {@code info}: the version, the JDK and the compute kernels in use. */
final class InfoCommand implements Command {
    @Override
    public String name() {
        return "info";
    }

    @Override
    public String summary() {
        return "print the version, the JDK, the cores and the SIMD kernels in use";
    }

    @Override
    public Options options() {
        return new Options();
    }

    @Override
    public int run(Options.Parsed args, PrintStream out) {
        out.println("kfac4j " + Main.version());
        out.println("jdk     " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        out.println("cores   " + Runtime.getRuntime().availableProcessors());
        out.println("kernels " + Kernels.active().name());
        return 0;
    }
}
