package jgan.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grid PNG: layout, value -> level mapping and clamping at known pixels, NHWC = NCHW, scaling, refusals. */
class ImageGridTest {
    /** The separators' level: white, apart from an untrained generator's mid-grey (an output of 0 is 128). */
    private static final int WHITE = 255;

    @TempDir
    Path dir;

    @Test
    void greyGridPixelsAtKnownPositions() throws IOException {
        int n = 5, h = 2, w = 3; // 3 columns, 2 rows: 3*3 + 2*2 = 13 wide, 2*2 + 2 = 6 high
        float[] v = new float[n * h * w];
        for (int i = 0; i < n; i++) {
            float[] tile = {-1f, 1f, 0f, 2f, -3f, Float.NaN};
            System.arraycopy(tile, 0, v, i * h * w, h * w);
        }
        v[4 * h * w + 2] = 0.5f; // image 4, row 0, column 2
        Path f = dir.resolve("grid.png");
        ImageGrid.write(f, v, n, h, w, 1);
        BufferedImage img = ImageIO.read(f.toFile());
        assertEquals(13, img.getWidth());
        assertEquals(6, img.getHeight());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
        int[] expect = {0, 255, 128, 255, 0, 0}; // -1, 1, 0, 2 clamped, -3 clamped, NaN
        for (int i = 0; i < n; i++) {
            int x0 = (i % 3) * 5, y0 = (i / 3) * 4;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int e = i == 4 && y == 0 && x == 2 ? 191 : expect[y * w + x]; // round(1.5 * 127.5) = 191
                    assertEquals(e, img.getRaster().getSample(x0 + x, y0 + y, 0), "image " + i + " y " + y + " x " + x);
                }
            }
        }
        for (int y = 0; y < 6; y++) { // the padding lines between columns: x 3-4 and 8-9
            for (int x : new int[] {3, 4, 8, 9}) {
                assertEquals(WHITE, img.getRaster().getSample(x, y, 0), "padding at " + x + "," + y);
            }
        }
        for (int x = 0; x < 13; x++) { // between rows: y 2-3
            assertEquals(WHITE, img.getRaster().getSample(x, 2, 0));
            assertEquals(WHITE, img.getRaster().getSample(x, 3, 0));
        }
        assertEquals(WHITE, img.getRaster().getSample(11, 5, 0), "the empty sixth cell");
        assertEquals(WHITE, ImageGrid.PAD_LEVEL);
    }

    @Test
    void theLinesStandApartFromAnUntrainedGeneratorsGreyTiles() {
        // four all-zero images (what an untrained G with tanh near 0 draws): tiles 128, lines not
        BufferedImage img = ImageGrid.image(new float[4 * 3 * 3], 4, 3, 3, 1, 1);
        assertEquals(128, img.getRaster().getSample(0, 0, 0), "a tile");
        assertEquals(128, img.getRaster().getSample(5, 5, 0), "a tile");
        for (int y = 0; y < 8; y++) {
            assertEquals(WHITE, img.getRaster().getSample(3, y, 0), "the line between columns at y " + y);
            assertEquals(WHITE, img.getRaster().getSample(y, 4, 0), "the line between rows at x " + y);
        }
    }

    @Test
    void rgbNhwcAndNchwGiveTheSamePicture() throws IOException {
        int n = 7, h = 4, w = 5, c = 3;
        float[] nhwc = new float[n * h * w * c];
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < nhwc.length; i++) {
            nhwc[i] = (float) (r.nextDouble() * 2.4 - 1.2);
        }
        float[] nchw = new float[nhwc.length];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int k = 0; k < c; k++) {
                        nchw[((i * c + k) * h + y) * w + x] = nhwc[((i * h + y) * w + x) * c + k];
                    }
                }
            }
        }
        // one known pixel: image 4 (row 1, column 1 of 3), y 1, x 2 = red -1, green 1, blue 0
        int at = ((4 * h + 1) * w + 2) * c;
        nhwc[at] = -1f;
        nhwc[at + 1] = 1f;
        nhwc[at + 2] = 0f;
        nchw[((4 * c) * h + 1) * w + 2] = -1f;
        nchw[((4 * c + 1) * h + 1) * w + 2] = 1f;
        nchw[((4 * c + 2) * h + 1) * w + 2] = 0f;
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        ImageGrid.write(a, nhwc, n, h, w, c);
        ImageGrid.writeNchw(b, nchw, n, c, h, w, 1);
        BufferedImage ia = ImageIO.read(a.toFile()), ib = ImageIO.read(b.toFile());
        assertEquals(3 * 7 - 2, ia.getWidth());
        assertEquals(3 * 6 - 2, ia.getHeight());
        for (int y = 0; y < ia.getHeight(); y++) {
            for (int x = 0; x < ia.getWidth(); x++) {
                assertEquals(ia.getRGB(x, y), ib.getRGB(x, y), "pixel " + x + "," + y);
            }
        }
        assertEquals(0x00ff80, ia.getRGB(7 + 2, 6 + 1) & 0xffffff);
        assertEquals(0xffffff, ia.getRGB(5, 0) & 0xffffff, "padding: white");
        assertEquals(0xffffff, ia.getRGB(3 * 7 - 3, 3 * 6 - 3) & 0xffffff, "the empty ninth cell: white");
    }

    @Test
    void scaleRepeatsEachPixel() {
        float[] v = {-1f, 1f, 1f, -1f}; // one 2x2 image
        BufferedImage img = ImageGrid.image(v, 1, 2, 2, 1, 3);
        assertEquals(6, img.getWidth());
        assertEquals(6, img.getHeight());
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                int e = (x / 3 + y / 3) % 2 == 0 ? 0 : 255;
                assertEquals(e, img.getRaster().getSample(x, y, 0), x + "," + y);
            }
        }
        BufferedImage grid = ImageGrid.image(new float[64 * 28 * 28], 64, 28, 28, 1, 2);
        assertEquals((8 * 30 - 2) * 2, grid.getWidth());
        assertEquals((8 * 30 - 2) * 2, grid.getHeight());
    }

    @Test
    void columnsAreCeilOfSqrt() {
        for (int n = 1; n <= 300; n++) {
            int cols = ImageGrid.columns(n);
            assertTrue((long) cols * cols >= n && (long) (cols - 1) * (cols - 1) < n, "n " + n + " cols " + cols);
            assertTrue(ImageGrid.rows(n) * cols >= n && (ImageGrid.rows(n) - 1) * cols < n);
        }
        assertEquals(8, ImageGrid.columns(64));
        assertEquals(8, ImageGrid.rows(64));
    }

    @Test
    void refusesMismatchedSizes() {
        String m = assertThrows(IllegalArgumentException.class, () -> ImageGrid.image(new float[11], 1, 2, 2, 3, 1)).getMessage();
        assertTrue(m.contains("n=1 h=2 w=2 c=3 (NHWC)") && m.contains("needs 12 values, 11 given"), m);
        m = assertThrows(IllegalArgumentException.class, () -> ImageGrid.image(new float[8], 1, 2, 2, 2, 1)).getMessage();
        assertTrue(m.contains("c must be 1 (grey) or 3 (RGB)"), m);
        m = assertThrows(IllegalArgumentException.class, () -> ImageGrid.imageNchw(new float[4], 1, 1, 2, 2, 0)).getMessage();
        assertTrue(m.contains("NCHW") && m.contains("scale must be 1 to 16"), m);
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.image(new float[0], 0, 2, 2, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.image(new float[4], 1, 2, 2, 1, 17));
        m = assertThrows(IllegalArgumentException.class, () -> ImageGrid.image(new float[1 << 20], 1, 1024, 1024, 1, 9)).getMessage();
        assertTrue(m.contains("9216x9216"), m);
    }
}
