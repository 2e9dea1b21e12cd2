package kfac4j.examples.plot;

import java.util.ArrayList;
import java.util.List;

/**
 * One panel of a {@link Figure}: line series against shared axes, with a title, axis labels, optional horizontal
 * reference lines (a target metric) and an optional logarithmic y axis.
 */
public final class LineChart {
    /** A dashed horizontal line at {@code y}, labelled at its right end. */
    public record ReferenceLine(double y, String label) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<ReferenceLine> references = new ArrayList<>();
    private boolean logY;
    private double yMin = Double.NaN, yMax = Double.NaN;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title == null ? "" : title;
        this.xLabel = xLabel == null ? "" : xLabel;
        this.yLabel = yLabel == null ? "" : yLabel;
    }

    public LineChart add(Series s) {
        series.add(s);
        return this;
    }

    public LineChart add(String name, double[] x, double[] y) {
        return add(new Series(name, x, y));
    }

    public LineChart referenceLine(double y, String label) {
        if (!Double.isFinite(y)) throw new IllegalArgumentException("LineChart: a reference line needs a finite y, got " + y);
        references.add(new ReferenceLine(y, label == null ? "" : label));
        return this;
    }

    /** A logarithmic y axis (for losses); points with y ≤ 0 are then gaps. */
    public LineChart logY(boolean on) {
        this.logY = on;
        return this;
    }

    /** Fixes the y range instead of fitting it to the data (for accuracies: 0 to 1). */
    public LineChart yRange(double min, double max) {
        if (!(Double.isFinite(min) && Double.isFinite(max) && min < max)) {
            throw new IllegalArgumentException("LineChart: the y range needs finite min < max, got " + min + " and " + max);
        }
        this.yMin = min;
        this.yMax = max;
        return this;
    }

    public String title() {
        return title;
    }

    public String xLabel() {
        return xLabel;
    }

    public String yLabel() {
        return yLabel;
    }

    public List<Series> series() {
        return List.copyOf(series);
    }

    public List<ReferenceLine> referenceLines() {
        return List.copyOf(references);
    }

    public boolean isLogY() {
        return logY;
    }

    /** The fixed y range, or null when it is fitted to the data. */
    double[] fixedYRange() {
        return Double.isNaN(yMin) ? null : new double[]{yMin, yMax};
    }
}
