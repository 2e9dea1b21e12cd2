package kfac4j.tensor.kernel;

/** Chooses the kernels once, from the system property {@code kfac4j.kernels}. */
final class KernelSelection {
    /** System property naming the kernels: {@code scalar}, {@code vector}, {@code vector128|256|512}. */
    static final String PROPERTY = "kfac4j.kernels";

    static final Kernels ACTIVE = choose(System.getProperty(PROPERTY, "vector"));

    private KernelSelection() {
    }

    /**
     * The scalar reference for {@code scalar}; for the vector choices, the vector kernels when the incubator module
     * {@code jdk.incubator.vector} is present, else the scalar reference. The width itself is read by
     * {@link VectorWidth} from the same property.
     */
    static Kernels choose(String wanted) {
        if (wanted.equals("scalar")) return ScalarKernels.INSTANCE;
        if (!wanted.startsWith("vector")) {
            throw new IllegalArgumentException(PROPERTY + "=" + wanted
                    + " is not one of: scalar, vector, vector128, vector256, vector512");
        }
        // The Vector API lives in an incubator module that may be absent; fall back to the scalar reference then.
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return ScalarKernels.INSTANCE;
        return loadVectorKernels();
    }

    /** Loaded by name, so that this class (and the tensor module) never links against the incubator module. */
    private static Kernels loadVectorKernels() {
        try {
            return (Kernels) Class.forName(KernelSelection.class.getPackageName() + ".VectorKernels")
                    .getDeclaredField("INSTANCE").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kfac4j: cannot load the vector kernels", e);
        } catch (ExceptionInInitializerError e) {
            // VectorWidth rejects a malformed width; surface its message rather than the wrapper.
            if (e.getCause() instanceof IllegalArgumentException iae) throw iae;
            throw e;
        }
    }
}
