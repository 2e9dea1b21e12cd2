package kfac4j.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SyntheticShapesTest {
    @Test
    void sameSeedSameImagesBalancedClasses() {
        TensorDataset a = SyntheticShapes.generate(new SyntheticShapes.Config(100, 3, 12, 5));
        TensorDataset b = SyntheticShapes.generate(new SyntheticShapes.Config(100, 3, 12, 5));
        TensorDataset c = SyntheticShapes.generate(new SyntheticShapes.Config(100, 3, 12, 6));
        assertThat(a.inputShape()).containsExactly(3, 12, 12);
        assertThat(a.classCounts()).containsOnly(10);
        assertThat(a.all().x().toDoubleArray()).containsExactly(b.all().x().toDoubleArray());
        assertThat(a.all().x().toDoubleArray()).isNotEqualTo(c.all().x().toDoubleArray());
        for (float v : a.all().x().toFloatArray()) assertThat(Float.isFinite(v)).isTrue();
    }

    /** Intensity moments of a noise-free grey image: {mean x, mean y, var x, var y, cov xy}, weights above background. */
    private static double[] moments(float[] img, int s) {
        float bg = Float.MAX_VALUE;
        for (float v : img) bg = Math.min(bg, v);
        double w = 0, mx = 0, my = 0;
        for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) {
            double v = img[y * s + x] - bg;
            w += v;
            mx += v * x;
            my += v * y;
        }
        mx /= w;
        my /= w;
        double vx = 0, vy = 0, cxy = 0;
        for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) {
            double v = img[y * s + x] - bg;
            vx += v * (x - mx) * (x - mx);
            vy += v * (y - my) * (y - my);
            cxy += v * (x - mx) * (y - my);
        }
        return new double[]{mx, my, vx / w, vy / w, cxy / w};
    }

    /** Each label gets the shape it names: checked on clean images through orientation moments and the centre. */
    @Test
    void labelsMatchTheDrawnShapes() {
        int s = 32;
        TensorDataset d = SyntheticShapes.generate(new SyntheticShapes.Config(200, 1, s, 0, 0, 9));
        for (int i = 0; i < d.size(); i++) {
            float[] img = d.input(i);
            double[] m = moments(img, s);
            String why = "example " + i + " of class " + SyntheticShapes.CLASS_NAMES.get(d.target(i)[0]);
            switch (d.target(i)[0]) {
                case 0 -> assertThat(m[2]).as(why).isGreaterThan(4 * m[3]);
                case 1 -> assertThat(m[3]).as(why).isGreaterThan(4 * m[2]);
                case 2 -> assertThat(m[4]).as(why).isLessThan(-0.6 * Math.sqrt(m[2] * m[3])); // "/": x grows as y falls
                case 3 -> assertThat(m[4]).as(why).isGreaterThan(0.6 * Math.sqrt(m[2] * m[3]));
                case 6, 8 -> {
                    float max = Float.NEGATIVE_INFINITY;
                    for (float v : img) max = Math.max(max, v);
                    float centre = img[(int) Math.round(m[1]) * s + (int) Math.round(m[0])];
                    float bg = Float.MAX_VALUE;
                    for (float v : img) bg = Math.min(bg, v);
                    double relative = (centre - bg) / (max - bg);
                    if (d.target(i)[0] == 6) assertThat(relative).as(why).isLessThan(0.2); // a ring is hollow
                    else assertThat(relative).as(why).isGreaterThan(0.9); // a disc is not
                }
                default -> assertThat(m[2] + m[3]).as(why).isPositive();
            }
        }
    }

    /** Learnable but not by template matching: a nearest-class-mean classifier on pixels is far from perfect. */
    @Test
    void pixelTemplatesDoNotSolveTheTask() {
        TensorDataset train = SyntheticShapes.generate(new SyntheticShapes.Config(2000, 1, 16, 1));
        TensorDataset test = SyntheticShapes.generate(new SyntheticShapes.Config(500, 1, 16, 2));
        int p = 16 * 16;
        double[][] mean = new double[10][p];
        for (int i = 0; i < train.size(); i++) {
            float[] x = train.input(i);
            for (int k = 0; k < p; k++) mean[train.target(i)[0]][k] += x[k] / 200.0;
        }
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            float[] x = test.input(i);
            int best = -1;
            double bestDistance = Double.MAX_VALUE;
            for (int c = 0; c < 10; c++) {
                double dist = 0;
                for (int k = 0; k < p; k++) dist += (x[k] - mean[c][k]) * (x[k] - mean[c][k]);
                if (dist < bestDistance) {
                    bestDistance = dist;
                    best = c;
                }
            }
            if (best == test.target(i)[0]) correct++;
        }
        double accuracy = correct / (double) test.size();
        assertThat(accuracy).isBetween(0.15, 0.5); // chance is 0.1
    }

    @Test
    void badConfigurationsAreRejected() {
        assertThatThrownBy(() -> new SyntheticShapes.Config(10, 2, 16, 1)).hasMessage("SyntheticShapes: channels must be 1 or 3, got 2");
        assertThatThrownBy(() -> new SyntheticShapes.Config(10, 1, 4, 1)).hasMessage("SyntheticShapes: size must be ≥ 8 pixels, got 4");
    }
}
