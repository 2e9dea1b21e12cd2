package kfac4j.tensor.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD width the vector kernels run at, fixed once when this class initialises.
 *
 * <p>The species are {@code static final} on purpose: C2 only turns Vector API calls into SIMD instructions when the
 * species is a compile-time constant, and a static final field is one. A species held in an instance field would
 * silently fall back to the (very slow) Java implementation. The consequence is one width per loaded copy of the
 * kernel classes; the tests load one copy per width in separate class loaders.
 *
 * <p>Only the vector kernel classes touch this class, so the tensor module loads without the incubator module.
 */
final class VectorWidth {
    /** Overrides the register-file size the GEMM tile is chosen for (16 or 32); for testing the 16-register tile. */
    static final String REGISTERS_PROPERTY = "kfac4j.vectorRegisters";

    /** The width in bits that the hardware prefers (its largest efficient vector). */
    static final int PREFERRED_BITS = VectorShape.preferredShape().vectorBitSize();
    /** The width in bits that {@code kfac4j.kernels} asked for (the preferred width for plain {@code vector}). */
    static final int REQUESTED_BITS = requestedBits(System.getProperty(KernelSelection.PROPERTY, "vector"));
    /** The width in use: the requested one, capped at the preferred one (wider vectors would be emulated, slowly). */
    static final int BITS = Math.min(REQUESTED_BITS, PREFERRED_BITS);

    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorShape.forBitSize(BITS));
    static final VectorSpecies<Double> F64 = DoubleVector.SPECIES_MAX.withShape(VectorShape.forBitSize(BITS));
    /** Float species of half the width: its lanes widen to exactly one {@link #F64} vector (F32 sums in double). */
    static final VectorSpecies<Float> F32_HALF = FloatVector.SPECIES_MAX.withShape(VectorShape.forBitSize(BITS / 2));

    /**
     * Number of architectural vector registers: 32 with AVX-512 and on AArch64, 16 with SSE/AVX2. The GEMM micro-tile
     * keeps its accumulators in registers, so its size depends on this.
     */
    static final int REGISTERS = registers();

    private VectorWidth() {
    }

    static int requestedBits(String wanted) {
        return switch (wanted) {
            case "vector" -> PREFERRED_BITS;
            case "vector128" -> 128;
            case "vector256" -> 256;
            case "vector512" -> 512;
            default -> throw new IllegalArgumentException(KernelSelection.PROPERTY + "=" + wanted
                    + " is not one of: scalar, vector, vector128, vector256, vector512");
        };
    }

    private static int registers() {
        String forced = System.getProperty(REGISTERS_PROPERTY);
        if (forced != null) {
            if (!forced.equals("16") && !forced.equals("32")) {
                throw new IllegalArgumentException(REGISTERS_PROPERTY + "=" + forced + " must be 16 or 32");
            }
            return Integer.parseInt(forced);
        }
        // x86 has 32 vector registers exactly when it has AVX-512, which is when it prefers 512-bit vectors.
        return isX86_64() && PREFERRED_BITS < 512 ? 16 : 32;
    }

    private static boolean isX86_64() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** For example {@code "vector 512-bit"}, noting when the requested width was capped. */
    static String describe() {
        String s = "vector " + BITS + "-bit (F32 x" + F32.length() + ", F64 x" + F64.length() + ")";
        if (REQUESTED_BITS > BITS) s += " (" + REQUESTED_BITS + "-bit requested; this CPU's widest is " + PREFERRED_BITS + ")";
        return s;
    }
}
