package jgan.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** losses.png from a log.csv as jgan train writes it; clear refusals of missing and damaged logs. */
class LossPlotTest {
    @TempDir
    Path dir;

    static final String HEADER = "step,loss_d,loss_g,d_real,d_fake,steps_per_s,elapsed_s";

    static String log(int rows) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (int i = 1; i <= rows; i++) {
            double t = i / (double) rows;
            b.append(String.format(Locale.ROOT, "%d,%.6g,%.6g,%.6g,%.6g,%.1f,%.1f%n", i * 10, 1.4 - 0.3 * t, 0.7 + 1.5 * t, 0.5 + 0.3 * t,
                    0.5 - 0.3 * t, 33.0, i * 0.3));
        }
        return b.toString();
    }

    private static boolean near(int rgb, int target) {
        int dr = ((rgb >> 16) & 0xff) - ((target >> 16) & 0xff);
        int dg = ((rgb >> 8) & 0xff) - ((target >> 8) & 0xff);
        int db = (rgb & 0xff) - (target & 0xff);
        return dr * dr + dg * dg + db * db < 30 * 30;
    }

    @Test
    void drawsBothPanelsFromALog() throws IOException {
        Path csv = dir.resolve("log.csv");
        Files.writeString(csv, log(120));
        Path png = dir.resolve("losses.png");
        LossPlot.write(csv, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(LossPlot.WIDTH, img.getWidth());
        assertEquals(2 * LossPlot.PANEL_HEIGHT, img.getHeight());
        // each series' colour appears in its own panel (the lines and the legend), not in the other one
        int[][] colours = {{0x1f77b4, 0}, {0xe8590c, 0}, {0x2b8a3e, 1}, {0xc2255c, 1}};
        for (int[] c : colours) {
            int[] count = new int[2];
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    if (near(img.getRGB(x, y), c[0])) {
                        count[y / LossPlot.PANEL_HEIGHT]++;
                    }
                }
            }
            assertTrue(count[c[1]] > 100 && count[1 - c[1]] == 0, Integer.toHexString(c[0]) + ": " + count[0] + " / " + count[1]);
        }
    }

    @Test
    void extraColumnsNaNLossesAndLongLogsStillPlot() throws IOException {
        Path csv = dir.resolve("log.csv");
        Files.writeString(csv, "step,loss_d,loss_g,d_real,d_fake,steps_per_s,elapsed_s,fid\n10,NaN,1.2,0.5,0.4,3.0,1.0,99\n"
                + "20,inf,1.1,0.6,0.3,3.0,2.0,98\n30,0.9,-Infinity,0.6,0.3,3.0,3.0,97\n");
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(LossPlot.png(csv)));
        assertEquals(LossPlot.WIDTH, img.getWidth());
        Files.writeString(csv, HEADER + "\n10,NaN,1.2,-3.5,2.5,3.0,1.0\n20,NaN,1.1,-3.0,2.0,3.0,2.0\n"); // a diverged D; critic scores
        img = ImageIO.read(new ByteArrayInputStream(LossPlot.png(csv)));
        assertEquals(2 * LossPlot.PANEL_HEIGHT, img.getHeight());
        Files.writeString(csv, log(700)); // more rows than MAX_POINTS: drawn from bucket means
        double[][] cols = LossPlot.read(csv);
        assertEquals(700, cols[0].length);
        assertEquals(2 * LossPlot.PANEL_HEIGHT, ImageIO.read(new ByteArrayInputStream(LossPlot.png(csv))).getHeight());
    }

    @Test
    void bucketsAverageConsecutiveRows() {
        double[][] cols = {{1, 2, 3, 4, 5, 6, 7}, {10, Double.NaN, 30, 40, 50, Double.NaN, Double.NaN}};
        double[][] b = LossPlot.bucket(cols, 3); // rows [0,2) [2,4) [4,7)
        assertArrayEquals(new double[] {1.5, 3.5, 6}, b[0]);
        assertArrayEquals(new double[] {10, 35, 50}, b[1]);
        assertEquals(cols, LossPlot.bucket(cols, 7), "few rows are kept as they are");
    }

    private String refusal(String text) throws IOException {
        Path csv = dir.resolve("log.csv");
        Files.writeString(csv, text);
        String m = assertThrows(IllegalArgumentException.class, () -> LossPlot.write(csv, dir.resolve("losses.png"))).getMessage();
        assertTrue(m.contains(csv.toString()), m);
        assertTrue(!Files.exists(dir.resolve("losses.png")), "nothing written");
        return m;
    }

    @Test
    void refusesMissingOrDamagedLogs() throws IOException {
        Path none = dir.resolve("none.csv");
        String m = assertThrows(IllegalArgumentException.class, () -> LossPlot.write(none, dir.resolve("x.png"))).getMessage();
        assertTrue(m.contains("none.csv") && m.contains("does not exist"), m);
        m = refusal(HEADER + "\n");
        assertTrue(m.contains("no rows"), m);
        m = refusal("");
        assertTrue(m.contains("not a jgan log") && m.contains("step, loss_d, loss_g, d_real, d_fake"), m);
        m = refusal("step,loss_d,loss_g\n1,2,3\n");
        assertTrue(m.contains("lacks the columns d_real, d_fake"), m);
        m = refusal(log(3) + "40,0.5,0.5\n");
        assertTrue(m.contains("line 5 is damaged") && m.contains("3 fields, the header has 7"), m);
        m = refusal(log(3).replace("\n20,", "\n2x0,"));
        assertTrue(m.contains("line 3 is damaged") && m.contains("'2x0' is not a number"), m);
        m = refusal(log(2) + "30,1,1,\u0000\u0001,1,1,1\n");
        assertTrue(m.contains("line 4") && m.contains("'30,1,1,??,1,1,1'"), m);
        m = refusal(log(2) + "NaN,1,1,1,1,1,1\n");
        assertTrue(m.contains("the step is not a number"), m);
        Files.writeString(dir.resolve("ok.csv"), log(2) + "\n\n");
        LossPlot.write(dir.resolve("ok.csv"), dir.resolve("ok.png")); // blank lines at the end are fine
        Set<Integer> seen = new HashSet<>();
        BufferedImage img = ImageIO.read(dir.resolve("ok.png").toFile());
        int blue = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                seen.add(img.getRGB(x, y));
                blue += near(img.getRGB(x, y), 0x1f77b4) ? 1 : 0;
            }
        }
        assertTrue(seen.size() > 10 && blue > 20, "a drawn picture, not a blank one: " + seen.size() + " colours, " + blue + " loss_D pixels");
    }
}
