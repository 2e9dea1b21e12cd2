package kfac4j.examples.bench;

import java.util.List;

import kfac4j.tensor.DType;

/** The workloads of DESIGN.md §7, in the order {@code torch_ref.py} prints them. New workloads are added here. */
public final class StandardWorkloads {
    private StandardWorkloads() {
    }

    public static List<Workload> all() {
        return List.of(
                new GemmWorkload(DType.F32, 256),
                new GemmWorkload(DType.F32, 512),
                new GemmWorkload(DType.F32, 1024),
                new GemmWorkload(DType.F32, 2048),
                new GemmWorkload(DType.F64, 1024));
    }
}
