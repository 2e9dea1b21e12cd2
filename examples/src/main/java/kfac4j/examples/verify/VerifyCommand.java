package kfac4j.examples.verify;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import kfac4j.autograd.ExactCurvature;
import kfac4j.autograd.Variable;
import kfac4j.examples.cli.Command;
import kfac4j.examples.cli.Options;
import kfac4j.kfac.Approximation;
import kfac4j.kfac.FisherType;
import kfac4j.kfac.KfacCurvature;
import kfac4j.nn.Reduction;
import kfac4j.nn.WeightSharingLinear;
import kfac4j.tensor.Tensor;

/**
 * {@code verify}: the exactness table of DESIGN.md §5.3. For every case, layer and flavour, K-FAC's block
 * {@code G ⊗ A} (type-2 Fisher, F64) is compared with the exact GGN block from {@link ExactCurvature}; the command
 * fails (exit 1) if a row that theory calls exact is above 1e-10, or one it calls inexact is below 1e-6.
 */
public final class VerifyCommand implements Command {
    @Override
    public String name() {
        return "verify";
    }

    @Override
    public String summary() {
        return "check K-FAC-expand and K-FAC-reduce against the exact GGN where theory says (F64)";
    }

    @Override
    public Options options() {
        return new Options().flag("json", "one JSON line per row instead of the table");
    }

    @Override
    public int run(Options.Parsed args, PrintStream out) {
        List<ExactnessRow> rows = new ArrayList<>();
        for (ExactnessCase c : ExactnessCase.all()) rows.addAll(rows(c));
        long disagreeing = rows.stream().filter(r -> !r.agrees()).count();
        if (args.has("json")) {
            for (ExactnessRow r : rows) out.println(r.json());
        } else {
            out.println("K-FAC against the exact GGN: relative Frobenius error of G ⊗ A, type-2 Fisher, F64");
            out.println();
            out.printf(Locale.ROOT, "%-26s %-6s %-7s %10s  %-8s %s%n", "case", "layer", "approx", "rel_error", "theory", "agrees");
            for (ExactnessRow r : rows) {
                out.printf(Locale.ROOT, "%-26s %-6s %-7s %10.2e  %-8s %s%n", r.caseName(), r.layer(), r.approx(),
                        r.relError(), r.theoryExact() ? "exact" : "inexact", r.agrees() ? "yes" : "NO");
            }
            out.println();
            out.println((disagreeing == 0 ? "all " + rows.size() + " rows agree with theory"
                    : disagreeing + " of " + rows.size() + " rows disagree with theory")
                    + " (exact rows must be ≤ 1e-10, inexact rows ≥ 1e-6)");
        }
        return disagreeing == 0 ? 0 : 1;
    }

    /** One row per layer and flavour of a case, layer by layer. */
    static List<ExactnessRow> rows(ExactnessCase c) {
        Map<Approximation, KfacCurvature> kfac = new EnumMap<>(Approximation.class);
        for (Approximation approx : Approximation.values()) {
            kfac.put(approx, KfacCurvature.overLosses(c.model(), List.of(() -> c.loss().apply(c.prediction().get(), c.target())))
                    .approximation(approx).fisher(FisherType.TYPE2).compute());
        }
        Variable f = c.prediction().get();
        double rho = c.loss().reduction() == Reduction.SUM ? 1 : c.lossHessian().meanScale(f.shape());
        List<ExactnessRow> out = new ArrayList<>();
        for (String layer : kfac.get(Approximation.EXPAND).layers()) {
            Tensor exact = exactBlock(f, c, (WeightSharingLinear) c.model().namedModules().get(layer), rho);
            for (Approximation approx : Approximation.values()) {
                Tensor block = kfac.get(approx).factors(layer).dense();
                double error = block.sub(exact).norm() / exact.norm();
                out.add(new ExactnessRow(c.name(), layer, approx, error, c.theoryExact().test(layer, approx)));
            }
        }
        return out;
    }

    /** The exact GGN block of one layer, in K-FAC's joint row-major vec([W b]) order. */
    private static Tensor exactBlock(Variable f, ExactnessCase c, WeightSharingLinear layer, double rho) {
        if (layer.bias() == null) return ExactCurvature.ggn(f, List.of(layer.weight().variable()), c.lossHessian(), rho);
        Tensor ggn = ExactCurvature.ggn(f, List.of(layer.weight().variable(), layer.bias().variable()), c.lossHessian(), rho);
        return ExactCurvature.reorder(ggn, ExactCurvature.jointWeightBiasOrder(layer.outFeatures(), layer.inFeatures()));
    }
}
