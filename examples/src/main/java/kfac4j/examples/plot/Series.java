package kfac4j.examples.plot;

/**
 * One named line: points (x[i], y[i]). Points with a NaN or infinite coordinate are gaps: the line breaks there.
 */
public record Series(String name, double[] x, double[] y) {
    public Series {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("Series: a series needs a name");
        if (x.length != y.length) {
            throw new IllegalArgumentException("Series '" + name + "': " + x.length + " x values but " + y.length + " y values");
        }
        x = x.clone();
        y = y.clone();
    }

    public int size() {
        return x.length;
    }

    /** Whether point i can be drawn (both coordinates finite, and y positive on a log axis). */
    boolean drawable(int i, boolean logY) {
        return Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logY || y[i] > 0);
    }
}
