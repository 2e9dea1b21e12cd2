package kfac4j.examples.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FigureTest {
    @TempDir
    Path dir;

    private static final Color FIRST_SERIES = new Color(0x1f77b4), SECOND_SERIES = new Color(0xd62728);

    private static double[] ramp(int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = scale * i;
        return v;
    }

    /** Pixels within a small distance of a colour (anti-aliased edges are lighter). */
    private static int count(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                Color p = new Color(img.getRGB(x, y));
                if (Math.abs(p.getRed() - c.getRed()) + Math.abs(p.getGreen() - c.getGreen()) + Math.abs(p.getBlue() - c.getBlue()) < 30) n++;
            }
        }
        return n;
    }

    @Test
    void writesAPngOfTheRequestedSizeAtomically() throws IOException {
        LineChart steps = new LineChart("accuracy vs steps", "steps", "accuracy").yRange(0, 1).referenceLine(0.9, "target");
        LineChart seconds = new LineChart("accuracy vs seconds", "seconds", "accuracy").yRange(0, 1);
        double[] acc = new double[50];
        for (int i = 0; i < 50; i++) acc[i] = 1 - Math.exp(-i / 10.0);
        steps.add("Adam", ramp(50, 10), acc).add("K-FAC", ramp(50, 10), acc.clone());
        seconds.add("Adam", ramp(50, 0.5), acc).add("K-FAC", ramp(50, 0.7), acc.clone());
        Path png = dir.resolve("sub/curves.png");
        Figure.of(steps, seconds).title("demo").writePng(png, 900, 400);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).isNotNull();
        assertThat(img.getWidth()).isEqualTo(900);
        assertThat(img.getHeight()).isEqualTo(400);
        assertThat(count(img, FIRST_SERIES)).isGreaterThan(300);
        assertThat(count(img, SECOND_SERIES)).isGreaterThan(300);
        try (Stream<Path> files = Files.list(png.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("curves.png");
        }
        Figure.of(steps).writePng(png, 300, 200); // replaces the old file
        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(300);
    }

    @Test
    void seriesColourIsTheSameInEveryPanelAndPlotsScaleWithTheImage() {
        LineChart a = new LineChart("a", "x", "y").add("only", ramp(10, 1), ramp(10, 1));
        BufferedImage small = Figure.of(a).render(400, 300), large = Figure.of(a).render(1600, 1200);
        assertThat(count(small, FIRST_SERIES)).isPositive();
        assertThat(count(large, FIRST_SERIES)).isGreaterThan(4 * count(small, FIRST_SERIES));
        LineChart b = new LineChart("b", "x", "y").add("second", ramp(10, 1), ramp(10, 2)).add("only", ramp(10, 1), ramp(10, 1));
        BufferedImage two = Figure.of(a, b).render(800, 300);
        // "only" is the first series named, so it is blue in both panels: blue appears in the right half too.
        BufferedImage right = two.getSubimage(420, 0, 380, 300);
        assertThat(count(right, FIRST_SERIES)).isGreaterThan(50);
    }

    @Test
    void emptyAndNanSeriesRenderWithoutData() {
        double[] nan = {Double.NaN, Double.NaN, Double.NaN};
        LineChart empty = new LineChart("nothing", "x", "y");
        LineChart allNan = new LineChart("nan", "x", "y").add("broken", ramp(3, 1), nan);
        LineChart gaps = new LineChart("gaps", "x", "y").add("gappy", new double[]{0, 1, 2, Double.NaN, 4, 5, Double.POSITIVE_INFINITY},
                new double[]{1, 2, Double.NaN, 3, 4, 5, 6});
        BufferedImage img = Figure.of(empty, allNan).render(600, 300);
        int legendOnly = count(img, FIRST_SERIES);
        assertThat(legendOnly).isPositive().isLessThan(150); // just the legend's line sample
        BufferedImage withGaps = Figure.of(gaps).render(600, 300);
        assertThat(count(withGaps, FIRST_SERIES)).isGreaterThan(legendOnly);
        LineChart log = new LineChart("log", "x", "loss").logY(true).add("loss", ramp(4, 1), new double[]{1, 0, -1, 0.01});
        assertThat(Figure.of(log).render(400, 300).getWidth()).isEqualTo(400);
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> new Series("s", new double[2], new double[3])).hasMessage("Series 's': 2 x values but 3 y values");
        assertThatThrownBy(() -> Figure.of(new LineChart("", "", "")).render(100, 50))
                .hasMessage("Figure: 100×50 pixels is too small; use at least 160×120");
        assertThatThrownBy(() -> new LineChart("", "", "").yRange(1, 0)).hasMessageContaining("finite min < max");
        assertThatThrownBy(Figure::of).hasMessage("Figure: needs at least one panel");
    }
}
