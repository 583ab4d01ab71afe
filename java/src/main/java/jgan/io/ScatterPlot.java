package jgan.io;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A scatter plot of 2-D point sets as a PNG, drawn by XChart: a title, both axes with ticks and
 * labels, a legend naming each set, the same range on both axes. Runs headless
 * (java.awt.headless=true is set if nothing set it) and needs java.desktop and one physical font
 * (e.g. Debian's fonts-dejavu-core): without a font the error says so.
 */
public final class ScatterPlot {
    private final XYChart chart;

    /** A square plot of {@code size} pixels showing [lo, hi] on both axes, titled {@code title}. */
    public ScatterPlot(String title, int size, double lo, double hi) {
        if (size < 100 || !(hi > lo) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("plot of " + size + " px over [" + lo + ", " + hi + "]");
        }
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        try {
            chart = new XYChartBuilder().width(size).height(size).title(title).xAxisTitle("x").yAxisTitle("y").build();
        } catch (Error | RuntimeException e) { // fontconfig without a font, or no java.desktop: say what is missing
            throw new IllegalStateException("cannot draw the plot (" + e + "): it needs the java.desktop module and a font"
                    + " (Debian: apt-get install fonts-dejavu-core)", e);
        }
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setMarkerSize(4);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(0xe6e6e6));
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setXAxisMin(lo).setXAxisMax(hi).setYAxisMin(lo).setYAxisMax(hi);
        chart.getStyler().setAntiAlias(true);
    }

    /** Adds the points x0, y0, x1, y1, ... (non-finite ones left out) as a series named {@code name} in colour 0xRRGGBB. */
    public ScatterPlot points(String name, float[] xy, int color) {
        double[] x = new double[xy.length / 2], y = new double[xy.length / 2];
        int n = 0;
        for (int i = 0; i + 1 < xy.length; i += 2) {
            if (Float.isFinite(xy[i]) && Float.isFinite(xy[i + 1])) {
                x[n] = xy[i];
                y[n++] = xy[i + 1];
            }
        }
        if (n == 0) {
            return this; // nothing to show (e.g. all NaN): the legend leaves it out
        }
        XYSeries series = chart.addSeries(name + " (" + n + ")", Arrays.copyOf(x, n), Arrays.copyOf(y, n));
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setMarkerColor(new Color(color));
        return this;
    }

    /** The PNG's bytes. */
    public byte[] png() {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the plot as PNG: " + e.getMessage(), e);
        }
    }

    /** Writes the PNG atomically (jgan.io.AtomicFiles). */
    public void write(Path file) {
        write(file, "");
    }

    /** As {@link #write(Path)}; {@code context} ends the error message (what is still intact). */
    public void write(Path file, String context) {
        AtomicFiles.write(file, png(), context);
    }
}
