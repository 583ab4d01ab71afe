package jgan.io;

import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.knowm.xchart.XYChart;

/**
 * A run's metrics.png from its eval.csv (what {@code jgan train --eval-every N} writes), drawn by
 * XChart like {@link LossPlot}: three panels sharing the step axis: the Fréchet distance in the
 * classifier's feature space with its floor (real images at the same count), precision and recall
 * (k = 3) with the real images' values dashed, and the entropy of the classifier's predicted class
 * histogram (nats) against ln 10, uniform's. Columns are found by name in the header (step, fd,
 * fd_floor, precision, recall, precision_real, recall_real, class_entropy); others are ignored.
 */
public final class MetricsPlot {
    /** The columns drawn, as eval.csv names them. */
    static final List<String> COLUMNS = List.of("step", "fd", "fd_floor", "precision", "recall", "precision_real", "recall_real",
            "class_entropy");

    private MetricsPlot() {
    }

    /**
     * The PNG of {@link LossPlot#WIDTH} x 3 * {@link LossPlot#PANEL_HEIGHT} pixels.
     *
     * @throws IllegalArgumentException when the file is missing, lacks a column above (naming it), has a row that is not
     *                                  numbers (naming its line) or no rows
     * @throws IllegalStateException    when no font or java.desktop is available to draw with
     */
    public static byte[] png(Path evalCsv) {
        double[][] d = read(evalCsv);
        return LossPlot.stacked("metrics", evalCsv, () -> {
            XYChart fd = LossPlot.chart("Frechet distance to real images (classifier features)", "FD");
            LossPlot.add(fd, "FD, generated", d[0], d[1], new Color(0x1f77b4));
            LossPlot.add(fd, "FD floor, real images", d[0], d[2], new Color(0x868e96));
            fd.getStyler().setYAxisMin(0.0);
            XYChart pr = LossPlot.chart("Precision and recall (k = 3)", "fraction");
            LossPlot.add(pr, "precision", d[0], d[3], new Color(0x2b8a3e));
            LossPlot.add(pr, "recall", d[0], d[4], new Color(0xe8590c));
            LossPlot.add(pr, "precision, real images", d[0], d[5], new Color(0x8ce99a));
            LossPlot.add(pr, "recall, real images", d[0], d[6], new Color(0xffc078));
            pr.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
            XYChart ent = LossPlot.chart("Predicted class histogram", "entropy, nats");
            LossPlot.add(ent, "class entropy", d[0], d[7], new Color(0xc2255c));
            double[] uniform = new double[d[0].length];
            Arrays.fill(uniform, Math.log(10));
            LossPlot.add(ent, "ln 10 (uniform)", d[0], uniform, new Color(0x868e96));
            ent.getStyler().setYAxisMin(0.0);
            return new XYChart[] {fd, pr, ent};
        });
    }

    /** The columns of {@link #COLUMNS}, [column][row]. */
    static double[][] read(Path evalCsv) {
        if (!Files.exists(evalCsv)) {
            throw new IllegalArgumentException("cannot plot the metrics: " + evalCsv + " does not exist");
        }
        String[] lines = new String(AtomicFiles.readBytes(evalCsv, AtomicFiles.MAX_TEXT_BYTES), StandardCharsets.UTF_8).split("\n", -1);
        List<String> header = Arrays.asList(lines[0].strip().split(",", -1));
        int[] index = new int[COLUMNS.size()];
        List<String> missing = new ArrayList<>();
        for (int k = 0; k < COLUMNS.size(); k++) {
            index[k] = header.indexOf(COLUMNS.get(k));
            if (index[k] < 0) {
                missing.add(COLUMNS.get(k));
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("cannot plot the metrics: " + evalCsv + " lacks the column(s) " + String.join(", ", missing));
        }
        List<double[]> rows = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",", -1);
            double[] row = new double[COLUMNS.size()];
            try {
                if (f.length != header.size()) {
                    throw new NumberFormatException(f.length + " fields, the header has " + header.size());
                }
                for (int k = 0; k < COLUMNS.size(); k++) {
                    row[k] = Double.parseDouble(f[index[k]].strip());
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cannot plot the metrics: " + evalCsv + " line " + (i + 1) + " is damaged ("
                        + e.getMessage() + ")");
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("cannot plot the metrics: " + evalCsv + " has no rows yet (only its header)");
        }
        return LossPlot.transpose(rows, COLUMNS.size());
    }
}
