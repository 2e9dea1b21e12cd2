package kfac4j.tensor.kernel;

/** Chooses the kernels once, from the system property {@code kfac4j.kernels}. */
final class KernelSelection {
    /** System property naming the kernels: {@code scalar}, {@code vector}, {@code vector128|256|512}. */
    static final String PROPERTY = "kfac4j.kernels";

    static final Kernels ACTIVE = choose(System.getProperty(PROPERTY, "vector"));

    private KernelSelection() {
    }

    static Kernels choose(String wanted) {
        if (wanted.equals("scalar")) return ScalarKernels.INSTANCE;
        if (!wanted.startsWith("vector")) {
            throw new IllegalArgumentException(PROPERTY + "=" + wanted
                    + " is not one of: scalar, vector, vector128, vector256, vector512");
        }
        // The Vector API lives in an incubator module that may be absent; fall back to the scalar reference then.
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return ScalarKernels.INSTANCE;
        return ScalarKernels.INSTANCE;
    }
}
