package kfac4j.examples.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

/**
 * A figure of one or more {@link LineChart} panels side by side (metric against steps beside metric against seconds),
 * an optional title above and one legend below, shared by all panels: a series keeps its colour in every panel.
 * Rendered with Java2D, headless, and written as PNG.
 */
public final class Figure {
    static {
        // Rendering needs no display; without this, a desktop JVM would open a windowing session just to draw a PNG.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Colours for successive series: distinct, readable on white, and distinguishable in most colour-vision types. */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0xbcbd22), new Color(0x7f7f7f)};
    private static final Color TEXT = new Color(0x222222), MUTED = new Color(0x555555), GRID = new Color(0xe3e3e3),
            AXIS = new Color(0x444444), REFERENCE = new Color(0x777777);
    /** Series with at most this many points get a dot at each point as well as the line. */
    private static final int MARK_POINTS_UP_TO = 40;

    private final List<LineChart> panels;
    private String title = "";

    private Figure(List<LineChart> panels) {
        if (panels.isEmpty()) throw new IllegalArgumentException("Figure: needs at least one panel");
        this.panels = List.copyOf(panels);
    }

    public static Figure of(LineChart... panels) {
        return new Figure(List.of(panels));
    }

    public Figure title(String t) {
        this.title = t == null ? "" : t;
        return this;
    }

    public List<LineChart> panels() {
        return panels;
    }

    /** Writes the figure as a PNG of {@code width × height} pixels: to a temporary file first, then renamed into place. */
    public void writePng(Path file, int width, int height) throws IOException {
        BufferedImage image = render(width, height);
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            if (!ImageIO.write(image, "png", tmp.toFile())) throw new IOException("Figure: no PNG writer available");
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The figure as an RGB image. */
    public BufferedImage render(int width, int height) {
        if (width < 160 || height < 120) {
            throw new IllegalArgumentException("Figure: " + width + "×" + height + " pixels is too small; use at least 160×120");
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            new Layout(g, width, height).draw();
        } finally {
            g.dispose();
        }
        return image;
    }

    /** The colour of every series name, in order of first appearance over the panels. */
    private Map<String, Color> colours() {
        Map<String, Color> m = new LinkedHashMap<>();
        for (LineChart p : panels) {
            for (Series s : p.series()) m.putIfAbsent(s.name(), PALETTE[m.size() % PALETTE.length]);
        }
        return m;
    }

    /** One rendering pass: sizes scale with the image so that a large PNG is not a small drawing with tiny text. */
    private final class Layout {
        final Graphics2D g;
        final int width, height;
        final double s;
        final Font titleFont, panelFont, labelFont, tickFont;
        final Map<String, Color> colours = colours();

        Layout(Graphics2D g, int width, int height) {
            this.g = g;
            this.width = width;
            this.height = height;
            this.s = Math.clamp(Math.min(width / (450.0 * panels.size() + 150), height / 480.0), 0.7, 3.0);
            titleFont = new Font(Font.SANS_SERIF, Font.BOLD, (int) Math.round(17 * s));
            panelFont = new Font(Font.SANS_SERIF, Font.BOLD, (int) Math.round(14 * s));
            labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, (int) Math.round(13 * s));
            tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, (int) Math.round(11 * s));
        }

        void draw() {
            double pad = 12 * s;
            double top = pad;
            if (!title.isEmpty()) {
                g.setFont(titleFont);
                FontMetrics fm = g.getFontMetrics();
                g.setColor(TEXT);
                drawCentered(title, width / 2.0, top + fm.getAscent());
                top += fm.getHeight() + 10 * s;
            }
            List<List<String>> legendRows = legendRows(width - 2 * pad);
            g.setFont(labelFont);
            double legendLine = g.getFontMetrics().getHeight() * 1.3;
            double bottom = height - pad - legendRows.size() * legendLine;
            double gap = 28 * s;
            double panelWidth = (width - 2 * pad - gap * (panels.size() - 1)) / panels.size();
            for (int i = 0; i < panels.size(); i++) {
                drawPanel(panels.get(i), new Rectangle2D.Double(pad + i * (panelWidth + gap), top, panelWidth, Math.max(1, bottom - top)));
            }
            drawLegend(legendRows, bottom + 0.3 * legendLine, legendLine);
        }

        void drawPanel(LineChart chart, Rectangle2D box) {
            double top = box.getY();
            // Every panel reserves the title row when any has a title, so the plots line up.
            if (panels.stream().anyMatch(p -> !p.title().isEmpty())) {
                g.setFont(panelFont);
                g.setColor(TEXT);
                FontMetrics fm = g.getFontMetrics();
                drawCentered(chart.title(), box.getCenterX(), top + fm.getAscent());
                top += fm.getHeight() + 4 * s;
            }
            double[] xr = range(chart, true), yr = range(chart, false);
            for (LineChart.ReferenceLine r : chart.referenceLines()) {
                if (chart.isLogY() && r.y() <= 0) continue;
                yr[0] = Double.isNaN(yr[0]) ? r.y() : Math.min(yr[0], r.y());
                yr[1] = Double.isNaN(yr[1]) ? r.y() : Math.max(yr[1], r.y());
            }
            double[] fixed = chart.fixedYRange();
            if (fixed != null) yr = fixed;
            g.setFont(labelFont);
            FontMetrics labelMetrics = g.getFontMetrics();
            g.setFont(tickFont);
            FontMetrics tickMetrics = g.getFontMetrics();
            double tickLength = 4 * s;
            double estimatedHeight = box.getMaxY() - top - labelMetrics.getHeight() - tickMetrics.getHeight();
            Axis y = Axis.fit(yr[0], yr[1], chart.isLogY(), (int) Math.max(3, Math.min(8, estimatedHeight / (45 * s))), fixed == null);
            double tickLabelWidth = 0;
            for (String l : y.labels) tickLabelWidth = Math.max(tickLabelWidth, tickMetrics.stringWidth(l));
            double left = box.getX() + (chart.yLabel().isEmpty() ? 0 : labelMetrics.getHeight() + 2 * s) + tickLabelWidth + tickLength + 4 * s;
            double right = box.getMaxX() - 10 * s;
            double bottom = box.getMaxY() - tickLength - tickMetrics.getHeight() - 2 * s
                    - (chart.xLabel().isEmpty() ? 0 : labelMetrics.getHeight());
            Rectangle2D plot = new Rectangle2D.Double(left, top + 6 * s, Math.max(1, right - left), Math.max(1, bottom - top - 6 * s));
            Axis x = Axis.fit(xr[0], xr[1], false, (int) Math.max(2, Math.min(10, plot.getWidth() / (85 * s))), false);

            // Grid, then axes with ticks and labels.
            g.setStroke(new BasicStroke((float) (1 * s)));
            g.setFont(tickFont);
            for (int i = 0; i < y.ticks.size(); i++) {
                double py = plot.getMaxY() - y.fraction(y.ticks.get(i)) * plot.getHeight();
                g.setColor(GRID);
                g.draw(new Line2D.Double(plot.getX(), py, plot.getMaxX(), py));
                g.setColor(AXIS);
                g.draw(new Line2D.Double(plot.getX() - tickLength, py, plot.getX(), py));
                g.setColor(MUTED);
                String l = y.labels.get(i);
                g.drawString(l, (float) (plot.getX() - tickLength - 3 * s - tickMetrics.stringWidth(l)),
                        (float) (py + tickMetrics.getAscent() / 2.0 - 1 * s));
            }
            for (int i = 0; i < x.ticks.size(); i++) {
                double px = plot.getX() + x.fraction(x.ticks.get(i)) * plot.getWidth();
                g.setColor(GRID);
                g.draw(new Line2D.Double(px, plot.getY(), px, plot.getMaxY()));
                g.setColor(AXIS);
                g.draw(new Line2D.Double(px, plot.getMaxY(), px, plot.getMaxY() + tickLength));
                g.setColor(MUTED);
                drawCentered(x.labels.get(i), px, plot.getMaxY() + tickLength + 2 * s + tickMetrics.getAscent());
            }
            g.setColor(AXIS);
            g.setStroke(new BasicStroke((float) (1.2 * s)));
            g.draw(new Line2D.Double(plot.getX(), plot.getY(), plot.getX(), plot.getMaxY()));
            g.draw(new Line2D.Double(plot.getX(), plot.getMaxY(), plot.getMaxX(), plot.getMaxY()));
            g.setFont(labelFont);
            g.setColor(TEXT);
            if (!chart.xLabel().isEmpty()) drawCentered(chart.xLabel(), plot.getCenterX(), box.getMaxY() - labelMetrics.getDescent());
            if (!chart.yLabel().isEmpty()) {
                AffineTransform saved = g.getTransform();
                g.translate(box.getX() + labelMetrics.getAscent(), plot.getCenterY());
                g.rotate(-Math.PI / 2);
                drawCentered(chart.yLabel(), 0, 0);
                g.setTransform(saved);
            }

            Shape clip = g.getClip();
            g.clip(new Rectangle2D.Double(plot.getX() - 3 * s, plot.getY() - 3 * s, plot.getWidth() + 6 * s, plot.getHeight() + 6 * s));
            for (LineChart.ReferenceLine r : chart.referenceLines()) {
                if (chart.isLogY() && r.y() <= 0) continue;
                double py = plot.getMaxY() - y.fraction(r.y()) * plot.getHeight();
                g.setColor(REFERENCE);
                g.setStroke(new BasicStroke((float) (1.3 * s), BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10,
                        new float[]{(float) (6 * s), (float) (4 * s)}, 0));
                g.draw(new Line2D.Double(plot.getX(), py, plot.getMaxX(), py));
            }
            boolean any = false;
            for (Series series : chart.series()) any |= drawSeries(series, chart.isLogY(), x, y, plot);
            g.setFont(tickFont);
            for (LineChart.ReferenceLine r : chart.referenceLines()) {
                if (r.label().isEmpty() || (chart.isLogY() && r.y() <= 0)) continue;
                // Over the curves, on a translucent white patch, so the label stays readable where curves cross it.
                double py = plot.getMaxY() - y.fraction(r.y()) * plot.getHeight();
                double w = tickMetrics.stringWidth(r.label()), lx = plot.getMaxX() - w - 6 * s, base = py - 4 * s;
                g.setColor(new Color(255, 255, 255, 210));
                g.fill(new Rectangle2D.Double(lx - 3 * s, base - tickMetrics.getAscent(), w + 6 * s, tickMetrics.getAscent() + 2 * s));
                g.setColor(REFERENCE);
                g.drawString(r.label(), (float) lx, (float) base);
            }
            g.setClip(clip);
            if (!any) {
                g.setFont(labelFont.deriveFont(Font.ITALIC));
                g.setColor(MUTED);
                drawCentered("no data", plot.getCenterX(), plot.getCenterY());
            }
        }

        /** Draws one series, breaking the line at gaps; returns whether it had a drawable point. */
        boolean drawSeries(Series series, boolean logY, Axis x, Axis y, Rectangle2D plot) {
            g.setColor(colours.get(series.name()));
            g.setStroke(new BasicStroke((float) (2 * s), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            Path2D.Double path = new Path2D.Double();
            int drawable = 0, run = 0;
            List<double[]> isolated = new ArrayList<>();
            double[] last = null;
            for (int i = 0; i < series.size(); i++) {
                if (!series.drawable(i, logY)) {
                    if (run == 1) isolated.add(last);
                    run = 0;
                    continue;
                }
                double px = plot.getX() + x.fraction(series.x()[i]) * plot.getWidth();
                double py = plot.getMaxY() - y.fraction(series.y()[i]) * plot.getHeight();
                if (run == 0) path.moveTo(px, py);
                else path.lineTo(px, py);
                last = new double[]{px, py};
                run++;
                drawable++;
            }
            if (run == 1) isolated.add(last);
            g.draw(path);
            if (drawable <= MARK_POINTS_UP_TO) {
                isolated.clear();
                for (int i = 0; i < series.size(); i++) {
                    if (!series.drawable(i, logY)) continue;
                    isolated.add(new double[]{plot.getX() + x.fraction(series.x()[i]) * plot.getWidth(),
                            plot.getMaxY() - y.fraction(series.y()[i]) * plot.getHeight()});
                }
            }
            double r = 2.6 * s;
            for (double[] p : isolated) g.fill(new Ellipse2D.Double(p[0] - r, p[1] - r, 2 * r, 2 * r));
            return drawable > 0;
        }

        /** The names of the legend, split into rows that fit the width. */
        List<List<String>> legendRows(double available) {
            List<List<String>> rows = new ArrayList<>();
            if (colours.isEmpty()) return rows;
            g.setFont(labelFont);
            FontMetrics fm = g.getFontMetrics();
            List<String> row = new ArrayList<>();
            double used = 0;
            for (String name : colours.keySet()) {
                double w = entryWidth(fm, name);
                if (!row.isEmpty() && used + w > available) {
                    rows.add(row);
                    row = new ArrayList<>();
                    used = 0;
                }
                row.add(name);
                used += w;
            }
            rows.add(row);
            return rows;
        }

        double entryWidth(FontMetrics fm, String name) {
            return 24 * s + 6 * s + fm.stringWidth(name) + 20 * s;
        }

        void drawLegend(List<List<String>> rows, double top, double lineHeight) {
            g.setFont(labelFont);
            FontMetrics fm = g.getFontMetrics();
            for (int r = 0; r < rows.size(); r++) {
                double total = -20 * s;
                for (String name : rows.get(r)) total += entryWidth(fm, name);
                double x = (width - total) / 2;
                double baseline = top + r * lineHeight + fm.getAscent();
                double mid = baseline - fm.getAscent() / 2.0 + fm.getDescent() / 2.0;
                for (String name : rows.get(r)) {
                    g.setColor(colours.get(name));
                    g.setStroke(new BasicStroke((float) (3 * s), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                    g.draw(new Line2D.Double(x, mid, x + 24 * s, mid));
                    g.setColor(TEXT);
                    g.drawString(name, (float) (x + 30 * s), (float) baseline);
                    x += entryWidth(fm, name);
                }
            }
        }

        void drawCentered(String text, double cx, double baseline) {
            g.drawString(text, (float) (cx - g.getFontMetrics().stringWidth(text) / 2.0), (float) baseline);
        }
    }

    /** [min, max] of the panel's drawable x (or y) values, NaN when there are none. */
    private static double[] range(LineChart chart, boolean xAxis) {
        double lo = Double.NaN, hi = Double.NaN;
        for (Series s : chart.series()) {
            for (int i = 0; i < s.size(); i++) {
                if (!s.drawable(i, chart.isLogY())) continue;
                double v = xAxis ? s.x()[i] : s.y()[i];
                lo = Double.isNaN(lo) ? v : Math.min(lo, v);
                hi = Double.isNaN(hi) ? v : Math.max(hi, v);
            }
        }
        return new double[]{lo, hi};
    }
}
