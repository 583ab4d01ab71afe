package jgan.io;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A run's losses.png from its log.csv, drawn by XChart: two panels one above the other, sharing the
 * step axis: the losses loss_D and loss_G, and the discriminator's mean outputs D(x) (on real
 * images) and D(G(z)) (on generated ones; shown over [0, 1] when they are probabilities), each
 * with axis titles and a legend below it. Needs java.desktop
 * and one physical font, as {@link ScatterPlot} does.
 *
 * <p>log.csv is what {@code jgan train} writes: a header naming the columns (at least step,
 * loss_d, loss_g, d_real, d_fake; others are ignored, columns found by name) and one row per
 * logged step. Non-finite values (a diverged loss) are left out of their series. A long run is
 * drawn from at most {@link #MAX_POINTS} points per series: consecutive rows are averaged in
 * equal buckets (the mean of their steps and of their values).
 */
public final class LossPlot {
    /** Width of the picture, pixels. */
    public static final int WIDTH = 900;
    /** Height of each of the two panels, pixels (the picture is twice as high). */
    public static final int PANEL_HEIGHT = 400;
    /** Most points drawn per series (bucket means; more adds little at this width and XChart draws ~1,000 points a second on a busy 2-core machine). */
    public static final int MAX_POINTS = 300;
    /** The columns drawn, as log.csv names them. */
    static final List<String> COLUMNS = List.of("step", "loss_d", "loss_g", "d_real", "d_fake");

    private LossPlot() {
    }

    /**
     * Reads {@code logCsv} and writes the plot as a PNG of {@link #WIDTH} x 2*{@link #PANEL_HEIGHT}
     * pixels, atomically (jgan.io.AtomicFiles).
     *
     * @throws IllegalArgumentException naming the file when it is missing, has no header with the
     *         columns above, a row that is not numbers (naming the line), or no rows
     * @throws IllegalStateException when no font or java.desktop is available to draw with
     * @throws FileError when a file cannot be read or written
     */
    public static void write(Path logCsv, Path png) {
        AtomicFiles.write(png, png(logCsv), "");
    }

    /** The PNG bytes {@link #write} writes. */
    public static byte[] png(Path logCsv) {
        double[][] cols = read(logCsv);
        double[][] d = bucket(cols, MAX_POINTS);
        return stacked("loss", logCsv, () -> {
            XYChart losses = chart("Losses", "loss");
            add(losses, "loss_D", d[0], d[1], new Color(0x1f77b4));
            add(losses, "loss_G", d[0], d[2], new Color(0xe8590c));
            XYChart outputs = chart("Discriminator outputs", "mean D output");
            add(outputs, "D(x), real", d[0], d[3], new Color(0x2b8a3e));
            add(outputs, "D(G(z)), generated", d[0], d[4], new Color(0xc2255c));
            if (within01(d[3]) && within01(d[4])) { // probabilities (the cross-entropy losses): the whole [0, 1] range
                outputs.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
            }
            return new XYChart[] {losses, outputs};
        });
    }

    /**
     * The PNG of the panels {@code panels} builds, {@link #WIDTH} wide, one {@link #PANEL_HEIGHT}
     * above the other in their order (headless AWT unless java.awt.headless is set).
     *
     * @param what the plot's name in the error ("loss", "metrics")
     * @param source the CSV drawn, named in the error
     * @throws IllegalStateException when no font or java.desktop is available to draw with
     */
    static byte[] stacked(String what, Path source, Supplier<XYChart[]> panels) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        BufferedImage img;
        try {
            XYChart[] p = panels.get();
            img = new BufferedImage(WIDTH, p.length * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            for (int i = 0; i < p.length; i++) {
                g.drawImage(BitmapEncoder.getBufferedImage(p[i]), 0, i * PANEL_HEIGHT, null);
            }
            g.dispose();
        } catch (Error | RuntimeException e) { // fontconfig without a font, or no java.desktop: say what is missing
            throw new IllegalStateException("cannot draw the " + what + " plot of " + source + " (" + e + "): it needs the java.desktop module"
                    + " and a font (Debian: apt-get install fonts-dejavu-core)", e);
        }
        return ImageGrid.png(img);
    }

    static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(PANEL_HEIGHT).title(title).xAxisTitle("step").yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS); // below: never over a line, both panels equally wide
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setXAxisMin(0.0);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesColor(new Color(0xe6e6e6));
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        c.getStyler().setAntiAlias(true);
        return c;
    }

    private static boolean within01(double[] v) {
        for (double x : v) {
            if (Double.isFinite(x) && (x < 0 || x > 1)) {
                return false;
            }
        }
        return true;
    }

    static void add(XYChart c, String name, double[] x, double[] y, Color color) {
        double[] fx = new double[x.length], fy = new double[y.length];
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(y[i])) {
                fx[n] = x[i];
                fy[n++] = y[i];
            }
        }
        if (n == 0) { // all non-finite (a diverged run): the legend still names the series, with no line
            fx = new double[] {x[0]};
            fy = new double[] {Double.NaN};
            n = 1;
            name += " (no finite value)";
        }
        XYSeries s = c.addSeries(name, Arrays.copyOf(fx, n), Arrays.copyOf(fy, n));
        s.setMarker(n == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        s.setLineColor(color);
        s.setMarkerColor(color);
    }

    /**
     * The columns step, loss_d, loss_g, d_real, d_fake of a log.csv, [column][row].
     *
     * @throws IllegalArgumentException as {@link #write} says
     */
    static double[][] read(Path logCsv) {
        if (!Files.exists(logCsv)) {
            throw new IllegalArgumentException("cannot plot the losses: " + logCsv + " does not exist (no training step logged yet?)");
        }
        byte[] bytes = AtomicFiles.readBytes(logCsv, AtomicFiles.MAX_TEXT_BYTES);
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        String[] header = lines[0].strip().split(",", -1);
        int[] index = new int[COLUMNS.size()];
        List<String> missing = new ArrayList<>();
        for (int k = 0; k < COLUMNS.size(); k++) {
            index[k] = Arrays.asList(header).indexOf(COLUMNS.get(k));
            if (index[k] < 0) {
                missing.add(COLUMNS.get(k));
            }
        }
        if (!missing.isEmpty()) {
            String shown = lines[0].strip().replaceAll("[^\\x20-\\x7e]", "?");
            throw new IllegalArgumentException("cannot plot the losses: " + logCsv + " is not a jgan log: its first line '"
                    + (shown.length() > 80 ? shown.substring(0, 80) + "..." : shown) + "' lacks the column" + (missing.size() == 1 ? " " : "s ")
                    + String.join(", ", missing));
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
                if (f.length != header.length) {
                    throw new NumberFormatException(f.length + " fields, the header has " + header.length);
                }
                for (int k = 0; k < COLUMNS.size(); k++) {
                    String s = f[index[k]].strip();
                    if (!s.matches("[-+]?([0-9.]+([eE][-+]?[0-9]+)?|NaN|Infinity|inf|nan)")) {
                        throw new NumberFormatException("'" + s + "' is not a number");
                    }
                    row[k] = s.equalsIgnoreCase("nan") ? Double.NaN
                            : s.endsWith("inf") ? (s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
                            : Double.parseDouble(s);
                }
                if (!Double.isFinite(row[0])) {
                    throw new NumberFormatException("the step is not a number");
                }
            } catch (NumberFormatException e) {
                String shown = line.replaceAll("[^\\x20-\\x7e]", "?");
                throw new IllegalArgumentException("cannot plot the losses: " + logCsv + " line " + (i + 1) + " is damaged ("
                        + e.getMessage() + "): '" + (shown.length() > 80 ? shown.substring(0, 80) + "..." : shown) + "'");
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("cannot plot the losses: " + logCsv + " has no rows yet (only its header)");
        }
        return transpose(rows, COLUMNS.size());
    }

    /** Rows of {@code width} values as columns, [column][row]. */
    static double[][] transpose(List<double[]> rows, int width) {
        double[][] cols = new double[width][rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            for (int k = 0; k < width; k++) {
                cols[k][i] = rows.get(i)[k];
            }
        }
        return cols;
    }

    /**
     * At most {@code max} points per column: rows split into max nearly equal consecutive buckets,
     * each replaced by its mean (of the finite values; NaN when it has none).
     */
    static double[][] bucket(double[][] cols, int max) {
        int n = cols[0].length;
        if (n <= max) {
            return cols;
        }
        double[][] out = new double[cols.length][max];
        for (int b = 0; b < max; b++) {
            int from = (int) ((long) b * n / max);
            int to = (int) ((long) (b + 1) * n / max);
            for (int k = 0; k < cols.length; k++) {
                double sum = 0;
                int count = 0;
                for (int i = from; i < to; i++) {
                    if (Double.isFinite(cols[k][i])) {
                        sum += cols[k][i];
                        count++;
                    }
                }
                out[k][b] = count == 0 ? Double.NaN : sum / count;
            }
        }
        return out;
    }
}
