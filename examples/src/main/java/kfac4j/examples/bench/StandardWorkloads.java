package kfac4j.examples.bench;

import java.util.ArrayList;
import java.util.List;

import kfac4j.tensor.DType;

/** The workloads of DESIGN.md §7, in the order {@code torch_ref.py} prints them. New workloads are added here. */
public final class StandardWorkloads {
    private StandardWorkloads() {
    }

    public static List<Workload> all() {
        List<Workload> all = new ArrayList<>(List.of(
                new GemmWorkload(DType.F32, 256),
                new GemmWorkload(DType.F32, 512),
                new GemmWorkload(DType.F32, 1024),
                new GemmWorkload(DType.F32, 2048),
                new GemmWorkload(DType.F64, 1024)));
        all.addAll(TrainingStepWorkload.all());
        return List.copyOf(all);
    }
}
