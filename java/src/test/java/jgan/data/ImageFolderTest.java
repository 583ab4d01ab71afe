package jgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jgan.io.FileError;

/** Image folders written here with ImageIO: formats, colour kinds, compositing, resize + crop, the report, the errors. */
class ImageFolderTest {
    static final int S = 20; // the image size of most checks

    @TempDir
    Path dir;

    static BufferedImage filled(int w, int h, int type, Color c) {
        BufferedImage img = new BufferedImage(w, h, type);
        Graphics2D g = img.createGraphics();
        g.setComposite(java.awt.AlphaComposite.Src);
        g.setColor(c);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    static BufferedImage grey(int w, int h, int v) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        return img;
    }

    Path save(BufferedImage img, String format, String name) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        assertTrue(ImageIO.write(img, format, f.toFile()), "no ImageIO writer for " + format);
        return f;
    }

    Path text(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        return Files.writeString(f, content, StandardCharsets.UTF_8);
    }

    /** The image of the dataset made from file {@code rel}. */
    static byte[] imageOf(ImageFolder.Loaded l, String rel) {
        int i = l.files().indexOf(rel);
        assertTrue(i >= 0, rel + " not among " + l.files());
        return l.dataset().image(i);
    }

    static void assertAll(byte[] img, int channels, int... rgb) {
        for (int p = 0; p < img.length / channels; p++) {
            for (int c = 0; c < channels; c++) {
                assertEquals(rgb[c], img[p * channels + c] & 0xFF, "pixel " + p + " channel " + c);
            }
        }
    }

    static void assertNear(byte[] img, int channels, int tolerance, int... rgb) {
        for (int p = 0; p < img.length / channels; p++) {
            for (int c = 0; c < channels; c++) {
                int v = img[p * channels + c] & 0xFF;
                assertTrue(Math.abs(v - rgb[c]) <= tolerance, "pixel " + p + " channel " + c + ": " + v + ", expected " + rgb[c] + " +- " + tolerance);
            }
        }
    }

    /** A palette of 4: red, green, fully transparent black, half-transparent blue. */
    static BufferedImage palette(int w, int h, int index) {
        byte[] r = {(byte) 255, 0, 0, 0};
        byte[] g = {0, (byte) 255, 0, 0};
        byte[] b = {0, 0, 0, (byte) 255};
        byte[] a = {(byte) 255, (byte) 255, 0, (byte) 128};
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(2, 4, r, g, b, a));
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, index);
            }
        }
        return img;
    }

    /** Every kind of file the loader meets, in nested folders. */
    void writeMixedFolder() throws IOException {
        save(grey(S, S, 100), "png", "a/grey.png");
        save(filled(S, S, BufferedImage.TYPE_INT_RGB, new Color(200, 50, 10)), "png", "a/rgb.png");
        save(filled(S, S, BufferedImage.TYPE_INT_ARGB, new Color(0, 0, 255, 128)), "png", "a/rgba-half-blue.png");
        save(palette(S, S, 0), "png", "b/palette-red.png");
        save(palette(S, S, 2), "png", "b/palette-clear.png");
        save(filled(S, S, BufferedImage.TYPE_INT_RGB, new Color(40, 160, 220)), "jpeg", "b/photo.JPG");
        save(filled(S, S, BufferedImage.TYPE_INT_RGB, new Color(0, 255, 0)), "gif", "b/c/green.gif");
        save(filled(S, S, BufferedImage.TYPE_INT_RGB, new Color(10, 20, 30)), "bmp", "b/c/d/dark.Bmp");
        save(filled(3, 2, BufferedImage.TYPE_INT_RGB, new Color(90, 90, 90)), "png", "b/c/d/tiny.png");
        // 80x20: thirds red | green | blue; the shorter side is already 20, so the crop keeps columns 30..49 (green)
        BufferedImage wide = filled(80, S, BufferedImage.TYPE_INT_RGB, Color.RED);
        Graphics2D g = wide.createGraphics();
        g.setColor(Color.GREEN);
        g.fillRect(20, 0, 40, S);
        g.setColor(Color.BLUE);
        g.fillRect(60, 0, 20, S);
        g.dispose();
        save(wide, "png", "wide.png");
        // 40x160 grey: rows 60..99 are 200, the rest 0; halved to 20x80, the centre crop is rows 30..49 = the 200 band
        BufferedImage tall = grey(40, 160, 0);
        for (int y = 60; y < 100; y++) {
            for (int x = 0; x < 40; x++) {
                tall.getRaster().setSample(x, y, 0, 200);
            }
        }
        save(tall, "png", "tall.png");
        // what must be skipped or ignored
        byte[] png = Files.readAllBytes(dir.resolve("a/rgb.png"));
        byte[] corrupt = java.util.Arrays.copyOf(png, 40); // the signature and the start of IHDR, then nothing
        Files.write(dir.resolve("a/corrupt.png"), corrupt);
        text("b/not-an-image.jpg", "this is text with a .jpg name\n");
        Files.write(dir.resolve("b/empty.gif"), new byte[0]);
        text("notes.txt", "not an image, ignored by its extension\n");
        save(grey(S, S, 7), "png", ".hidden.png");
        save(grey(S, S, 7), "png", ".cache/thumb.png");
    }

    @Test
    void readsEveryKindAndListsWhatItSkips() throws IOException {
        writeMixedFolder();
        ImageFolder.Loaded l = ImageFolder.load(dir, S, 3);
        List<String> expectedFiles = List.of("a/grey.png", "a/rgb.png", "a/rgba-half-blue.png", "b/c/d/dark.Bmp", "b/c/d/tiny.png",
                "b/c/green.gif", "b/palette-clear.png", "b/palette-red.png", "b/photo.JPG", "tall.png", "wide.png");
        assertEquals(expectedFiles, l.files()); // sorted relative paths, hidden files and folders left out
        ImageDataset d = l.dataset();
        assertEquals(expectedFiles.size(), d.count());
        assertEquals(S, d.height());
        assertEquals(S, d.width());
        assertEquals(3, d.channels());
        assertEquals(14, l.tried());
        assertEquals(1, l.ignored());
        List<String> skipped = new ArrayList<>();
        for (ImageFolder.Skipped s : l.skipped()) {
            skipped.add(s.file());
            assertTrue(!s.reason().isEmpty(), s.toString());
        }
        assertEquals(List.of("a/corrupt.png", "b/empty.gif", "b/not-an-image.jpg"), skipped);

        assertAll(imageOf(l, "a/grey.png"), 3, 100, 100, 100); // grey samples as stored, no gamma change
        assertAll(imageOf(l, "a/rgb.png"), 3, 200, 50, 10);
        assertAll(imageOf(l, "a/rgba-half-blue.png"), 3, 127, 127, 255); // (128 * c + 127 * 255) / 255 over white
        assertAll(imageOf(l, "b/palette-red.png"), 3, 255, 0, 0);
        assertAll(imageOf(l, "b/palette-clear.png"), 3, 255, 255, 255); // transparent index -> background
        assertNear(imageOf(l, "b/photo.JPG"), 3, 4, 40, 160, 220); // lossy
        assertAll(imageOf(l, "b/c/green.gif"), 3, 0, 255, 0);
        assertAll(imageOf(l, "b/c/d/dark.Bmp"), 3, 10, 20, 30);
        assertNear(imageOf(l, "b/c/d/tiny.png"), 3, 1, 90, 90, 90); // 3x2 enlarged
        assertAll(imageOf(l, "wide.png"), 3, 0, 255, 0); // centre crop of the wide image
        assertNear(imageOf(l, "tall.png"), 3, 1, 200, 200, 200); // halved, centre rows

        String report = l.report();
        assertTrue(report.contains("image files found: 14") && report.contains("read: 11") && report.contains("skipped: 3"), report);
        assertTrue(report.contains("other files ignored (not .png .jpg .jpeg .gif .bmp): 1"), report);
        for (ImageFolder.Skipped s : l.skipped()) {
            assertTrue(report.contains(s.file() + ": " + s.reason()), report);
        }
        assertTrue(report.contains("b/not-an-image.jpg: not a PNG, JPEG, GIF or BMP image"), report);
        assertTrue(report.contains("b/empty.gif: empty file"), report);
        assertTrue(!report.contains("hidden") && !report.contains(".cache"), report);
    }

    @Test
    void greyOutputIsLumaAndBackgroundIsChosen() throws IOException {
        save(filled(S, S, BufferedImage.TYPE_INT_RGB, new Color(200, 50, 10)), "png", "rgb.png");
        save(grey(S, S, 100), "png", "grey.png");
        save(filled(S, S, BufferedImage.TYPE_INT_ARGB, new Color(0, 0, 0, 0)), "png", "clear.png");
        BufferedImage deep = new BufferedImage(S, S, BufferedImage.TYPE_USHORT_GRAY); // 16-bit grey
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                deep.getRaster().setSample(x, y, 0, 100 * 257);
            }
        }
        save(deep, "png", "grey16.png");
        java.awt.image.ComponentColorModel ga = new java.awt.image.ComponentColorModel(java.awt.color.ColorSpace.getInstance(
                java.awt.color.ColorSpace.CS_GRAY), true, false, java.awt.Transparency.TRANSLUCENT, java.awt.image.DataBuffer.TYPE_BYTE);
        BufferedImage greyAlpha = new BufferedImage(ga, ga.createCompatibleWritableRaster(S, S), false, null);
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                greyAlpha.getRaster().setSample(x, y, 0, 100);
                greyAlpha.getRaster().setSample(x, y, 1, 128);
            }
        }
        save(greyAlpha, "png", "grey-alpha.png");
        ImageFolder.Loaded l = ImageFolder.load(dir, S, 1, 0x204060);
        assertEquals(1, l.dataset().channels());
        assertAll(imageOf(l, "grey16.png"), 1, 100);
        int bgLuma = (299 * 0x20 + 587 * 0x40 + 114 * 0x60 + 500) / 1000;
        int[] over = new int[3];
        for (int c = 0; c < 3; c++) {
            over[c] = (128 * 100 + 127 * ((0x204060 >> (16 - 8 * c)) & 0xFF) + 127) / 255; // grey 100 at alpha 128 over the background
        }
        assertAll(imageOf(l, "grey-alpha.png"), 1, (299 * over[0] + 587 * over[1] + 114 * over[2] + 500) / 1000);
        assertTrue(bgLuma != 100);
        assertAll(imageOf(l, "rgb.png"), 1, (299 * 200 + 587 * 50 + 114 * 10 + 500) / 1000); // BT.601 luma = 91
        assertAll(imageOf(l, "grey.png"), 1, 100);
        assertAll(imageOf(l, "clear.png"), 1, bgLuma); // the background's luma
        ImageFolder.Loaded rgb = ImageFolder.load(dir, S, 3, 0x204060);
        assertAll(imageOf(rgb, "clear.png"), 3, 0x20, 0x40, 0x60);
    }

    @Test
    void downscalesByAveragingNotAliasing() throws IOException {
        // a 1-pixel black/white checkerboard, 160x160 -> 20x20: every output pixel is the average, ~128 (point sampling gives 0 or 255)
        BufferedImage check = grey(160, 160, 0);
        for (int y = 0; y < 160; y++) {
            for (int x = 0; x < 160; x++) {
                check.getRaster().setSample(x, y, 0, (x + y) % 2 == 0 ? 255 : 0);
            }
        }
        save(check, "png", "check.png");
        // and a size that is no power-of-two ratio: 150x150 -> 20
        BufferedImage check2 = grey(150, 150, 0);
        for (int y = 0; y < 150; y++) {
            for (int x = 0; x < 150; x++) {
                check2.getRaster().setSample(x, y, 0, (x + y) % 2 == 0 ? 255 : 0);
            }
        }
        save(check2, "png", "check2.png");
        ImageFolder.Loaded l = ImageFolder.load(dir, S, 1);
        assertNear(imageOf(l, "check.png"), 1, 2, 128);
        assertNear(imageOf(l, "check2.png"), 1, 40, 128);
    }

    @Test
    void sameResultWhateverTheThreads() throws IOException {
        writeMixedFolder();
        for (int i = 0; i < 12; i++) {
            save(filled(50 + i, 30 + 2 * i, BufferedImage.TYPE_INT_RGB, new Color(i * 20, 255 - i * 20, 7 * i)), "png", "more/img" + i + ".png");
        }
        ImageFolder.Loaded a = ImageFolder.load(dir, 16, 3);
        ImageFolder.Loaded b = ImageFolder.load(dir, 16, 3);
        assertEquals(a.files(), b.files());
        byte[] pa = new byte[a.dataset().count() * a.dataset().imageSize()];
        byte[] pb = new byte[pa.length];
        a.dataset().pixels().get(pa);
        b.dataset().pixels().get(pb);
        assertArrayEquals(pa, pb);
        assertEquals(a.report(), b.report());
    }

    /**
     * A JPEG cut short decodes "successfully" (ImageIO fills the missing rows in and only warns
     * "Premature end of JPEG file"): it is skipped as truncated, listed in the report, like a
     * truncated PNG; the same JPEG whole is read.
     */
    @Test
    void aTruncatedJpegIsSkippedAndListed() throws IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(64, 64, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(3);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24)); // noise: the scan data is most of the file
            }
        }
        Path jpegs = Files.createDirectories(dir.resolve("jpegs"));
        javax.imageio.ImageIO.write(img, "jpg", jpegs.resolve("whole.jpg").toFile());
        byte[] whole = Files.readAllBytes(jpegs.resolve("whole.jpg"));
        Files.write(jpegs.resolve("cut.jpg"), java.util.Arrays.copyOf(whole, whole.length * 2 / 3));
        ImageFolder.Loaded loaded = ImageFolder.load(jpegs, S, 3);
        assertEquals(List.of("whole.jpg"), loaded.files());
        assertEquals(1, loaded.skipped().size());
        assertEquals("cut.jpg", loaded.skipped().get(0).file());
        assertTrue(loaded.skipped().get(0).reason().contains("truncated"), loaded.skipped().get(0).reason());
        assertTrue(loaded.report().contains("cut.jpg"), loaded.report());
        assertTrue(ImageFolder.isTruncation("Premature end of JPEG file") && !ImageFolder.isTruncation("Corrupt JPEG data: 2 extraneous bytes"
                + " before marker 0xd9"));
    }

    @Test
    void noReadableImageIsAnErrorNamingTheFolder() throws IOException {
        text("bad/one.png", "not a png");
        Files.write(dir.resolve("bad/two.jpg"), new byte[0]);
        text("bad/readme.txt", "hello");
        Path bad = dir.resolve("bad");
        FileError e = assertThrows(FileError.class, () -> ImageFolder.load(bad, S, 3));
        assertTrue(e.isBadInput(), "the user's folder is the wrong thing: exit status 2");
        String m = e.getMessage();
        assertTrue(m.contains(bad.toString()) && m.contains("none of the 2 image files") && m.contains("one.png: ") && m.contains("two.jpg: "), m);

        Path none = Files.createDirectory(dir.resolve("none"));
        text("none/readme.txt", "hello");
        m = assertThrows(FileError.class, () -> ImageFolder.load(none, S, 3)).getMessage();
        assertTrue(m.contains(none.toString()) && m.contains("no image files") && m.contains("1 other files"), m);

        m = assertThrows(FileError.class, () -> ImageFolder.load(dir.resolve("missing"), S, 3)).getMessage();
        assertTrue(m.contains("missing") && m.contains("no such folder"), m);
    }

    @Test
    void resizesADataset() {
        // 3 grey 4x6 images: image i is uniform 40 * i + 10 except image 2, whose left half is 0 and right half 255
        int n = 3;
        byte[] px = new byte[n * 4 * 6];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < 24; p++) {
                px[i * 24 + p] = (byte) (i == 2 ? (p % 6 < 3 ? 0 : 255) : 40 * i + 10);
            }
        }
        ImageDataset d = ImageDataset.of("grey", px, n, 4, 6, 1, new int[] {7, 8, 9});
        assertTrue(ImageFolder.resize(d, 4, 1) != d); // 4x6 is not square: cropped
        ImageDataset same = ImageFolder.resize(d, 4, 1);
        assertEquals(4, same.width());
        assertArrayEquals(new int[] {0, 0, 255, 255}, new int[] {same.pixel(2, 0, 0, 0), same.pixel(2, 0, 1, 0), same.pixel(2, 0, 2, 0),
                same.pixel(2, 0, 3, 0)}); // columns 1..4 of 0 0 0 255 255 255
        ImageDataset big = ImageFolder.resize(d, 16, 3);
        assertEquals(16, big.height());
        assertEquals(16, big.width());
        assertEquals(3, big.channels());
        assertArrayEquals(new int[] {7, 8, 9}, big.labels());
        assertNear(big.image(0), 3, 1, 10, 10, 10);
        assertNear(big.image(1), 3, 1, 50, 50, 50);
        assertEquals(0, big.pixel(2, 5, 0, 0)); // far left of the edge stays dark, far right bright
        assertEquals(255, big.pixel(2, 5, 15, 2));
        ImageDataset sq = ImageFolder.resize(big, 16, 3);
        assertTrue(sq == big); // already that shape
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(dir, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(dir, S, 2));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(dir, S, 3, 0x1000000));
        ImageDataset fifty = ImageDataset.of("fifty dots", new byte[50], 50, 1, 1, 1, null);
        String m = assertThrows(IllegalArgumentException.class, () -> ImageFolder.resize(fifty, 4096, 3)).getMessage(); // 2.5 GB
        assertTrue(m.contains("fifty dots") && m.contains("50 images of 4096x4096x3"), m);
    }

    @Test
    void parsesColours() {
        assertEquals(0xFFFFFF, ImageFolder.parseColour("white"));
        assertEquals(0x000000, ImageFolder.parseColour("Black"));
        assertEquals(0x12AB9F, ImageFolder.parseColour("#12ab9f"));
        assertEquals(0x12AB9F, ImageFolder.parseColour("12AB9F"));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.parseColour("#12ab9"));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.parseColour("purple-ish"));
    }

    @Test
    void twelveMonkeysJpegReaderIsRegistered() {
        boolean found = false;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext();) {
            found |= it.next().getClass().getName().startsWith("com.twelvemonkeys.");
        }
        assertTrue(found, "TwelveMonkeys' JPEG reader (com.twelvemonkeys.imageio:imageio-jpeg) is not on the class path");
    }
}
