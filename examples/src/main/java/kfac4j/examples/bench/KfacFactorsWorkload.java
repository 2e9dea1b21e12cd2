package kfac4j.examples.bench;

import java.util.List;
import java.util.Locale;

import kfac4j.kfac.Approximation;
import kfac4j.kfac.FisherType;
import kfac4j.kfac.KfacCurvature;

/**
 * {@code <model>_kfac_<flavour>_factors}: the Kronecker factors of every layer from one batch — the forward pass, the
 * MC Fisher's backward pass and the statistics (DESIGN.md §5.2). Forward and backward are the same for both flavours,
 * so expand against reduce shows what reduce saves: its outer products run over N example rows instead of all
 * N·R shared rows.
 */
record KfacFactorsWorkload(StepModel model, Approximation approximation) implements Workload {
    @Override
    public String name() {
        return model.prefix() + "_kfac_" + approximation.name().toLowerCase(Locale.ROOT) + "_factors";
    }

    @Override
    public double flops() {
        return 0;
    }

    @Override
    public Runnable prepare() {
        StepModel.Instance m = model.build(0);
        return () -> Sink.keep(KfacCurvature.overLosses(m.model(), List.of(m::loss)).approximation(approximation)
                .fisher(FisherType.MC).seed(0).compute());
    }
}
