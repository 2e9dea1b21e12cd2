package kfac4j.tensor.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * Every vector kernel configuration this machine can run, each as its own {@link Kernels} instance.
 *
 * <p>The SIMD width is a static final constant of {@link VectorWidth} (C2 needs it constant), so one loaded copy of the
 * kernel classes runs one width. To test all widths in one JVM, each configuration gets a private copy of the
 * package's implementation classes from a child-first class loader, initialised while {@code kfac4j.kernels} (and
 * {@code kfac4j.vectorRegisters}) name that configuration. The public types ({@link Kernels}, {@link UnaryOp},
 * {@link BinaryOp}) come from the normal loader, so the copies are used exactly like the production instance.
 */
final class KernelVariants {
    /** A configuration and its kernels. */
    record Variant(String label, Kernels kernels) {
        @Override
        public String toString() {
            return label + " = " + kernels.name();
        }
    }

    private static List<Variant> all;

    private KernelVariants() {
    }

    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The active kernels if they are vector kernels, then an isolated copy per supported width and tile. */
    static synchronized List<Variant> all() {
        if (all != null) return all;
        List<Variant> v = new ArrayList<>();
        if (vectorModulePresent()) {
            Kernels.active(); // initialise the production selection before any property is changed below
            if (Kernels.active() != Kernels.scalar()) v.add(new Variant("active", Kernels.active()));
            int preferred = VectorWidth.PREFERRED_BITS;
            for (int bits = 128; bits <= preferred; bits *= 2) {
                v.add(new Variant("vector" + bits, isolated("vector" + bits, null)));
            }
            // The tiles of both register files at the preferred width, whichever this CPU has: 4 × 2 vectors for 16
            // registers (AVX2), 12 × 2 and 6 × 4 for 32 (AVX-512; on a 16-register CPU they spill, slowly but with the
            // same bits), so that every tile runs on every machine.
            v.add(new Variant("vector, 16 registers", isolated("vector", "16")));
            v.add(new Variant("vector, 32 registers", isolated("vector", "32")));
        }
        all = List.copyOf(v);
        return all;
    }

    private static Kernels isolated(String kernels, String registers) {
        String oldKernels = System.getProperty(KernelSelection.PROPERTY);
        String oldRegisters = System.getProperty(VectorWidth.REGISTERS_PROPERTY);
        System.setProperty(KernelSelection.PROPERTY, kernels);
        if (registers != null) System.setProperty(VectorWidth.REGISTERS_PROPERTY, registers);
        else System.clearProperty(VectorWidth.REGISTERS_PROPERTY);
        try {
            ClassLoader loader = new ChildFirst(KernelVariants.class.getClassLoader());
            Class<?> c = Class.forName(KernelVariants.class.getPackageName() + ".VectorKernels", true, loader);
            Field f = c.getDeclaredField("INSTANCE");
            f.setAccessible(true);
            return (Kernels) f.get(null); // VectorWidth initialised with VectorKernels, under the properties above
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        } finally {
            restore(KernelSelection.PROPERTY, oldKernels);
            restore(VectorWidth.REGISTERS_PROPERTY, oldRegisters);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    /** Defines its own copy of the kernel package's implementation classes; delegates everything else. */
    private static final class ChildFirst extends ClassLoader {
        private final ClassLoader source;

        ChildFirst(ClassLoader parent) {
            super(parent);
            this.source = parent;
        }

        private static boolean copied(String name) {
            String pkg = KernelVariants.class.getPackageName() + ".";
            if (!name.startsWith(pkg)) return false;
            String simple = name.substring(pkg.length());
            String outer = simple.contains("$") ? simple.substring(0, simple.indexOf('$')) : simple;
            return switch (outer) {
                case "Kernels", "UnaryOp", "BinaryOp" -> false;
                default -> !outer.endsWith("Test") && !outer.equals("KernelVariants") && !outer.equals("KernelData");
            };
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!copied(name)) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try (InputStream in = source.getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) throw new ClassNotFoundException(name);
                        byte[] bytes = in.readAllBytes();
                        c = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                if (resolve) resolveClass(c);
                return c;
            }
        }
    }
}
