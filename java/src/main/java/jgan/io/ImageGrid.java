package jgan.io;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/**
 * n images tiled into one picture, as a PNG (javax.imageio): ceil(sqrt(n)) columns, as many rows
 * as needed, a {@link #PAD}-pixel white line ({@link #PAD_LEVEL}) between neighbouring tiles (none
 * around the edge), unused cells of the last row white too. A value v in [-1, 1] (tanh's range, what
 * a generator outputs) becomes the 8-bit level round((v + 1) * 127.5): -1 -> 0, 0 -> 128, 1 -> 255;
 * values outside are clamped and NaN is drawn as 0. One channel gives an 8-bit grey PNG, three an
 * RGB one. {@code scale} enlarges the whole picture by an integer factor, nearest neighbour (each
 * pixel becomes scale x scale pixels), so that a grid of 28x28 images is viewable.
 *
 * <p>The layout matches torchvision's make_grid(nrow=ceil(sqrt(n)), padding=2) less its outer
 * frame; the value mapping matches save_image's on (x + 1) / 2. The lines are white where
 * make_grid's default pad_value is black: an untrained or collapsed generator draws mid-grey
 * (its output near 0 is level 128) and Fashion-MNIST-like images have black backgrounds, so
 * neither grey nor black lines would keep those tiles apart.
 */
public final class ImageGrid {
    /** Pixels between neighbouring tiles (before scaling). */
    public static final int PAD = 2;
    /**
     * The 8-bit level (in each channel) of the lines between tiles and of empty cells: 255, white.
     * Not 128: that is the level of a generator output of 0, so the lines would vanish between the
     * grey tiles of an untrained generator.
     */
    public static final int PAD_LEVEL = 0xff;
    /** The largest picture drawn, in pixels (width * height after scaling). */
    public static final long MAX_PIXELS = 1L << 26;

    private ImageGrid() {
    }

    /**
     * Writes the grid of n images, given NHWC, as a PNG, atomically (jgan.io.AtomicFiles).
     *
     * @param nhwc  n * h * w * c floats, image-major, then rows, columns, channels; nominally in [-1, 1]
     * @param c     channels: 1 (grey) or 3 (RGB)
     * @param scale integer enlargement, 1 to 16
     * @throws IllegalArgumentException naming the sizes when they do not agree or are out of range
     * @throws FileError when the file cannot be written
     */
    public static void write(Path png, float[] nhwc, int n, int h, int w, int c, int scale) {
        AtomicFiles.write(png, png(image(nhwc, n, h, w, c, scale)), "");
    }

    /** As {@link #write(Path, float[], int, int, int, int, int)} with scale 1. */
    public static void write(Path png, float[] nhwc, int n, int h, int w, int c) {
        write(png, nhwc, n, h, w, c, 1);
    }

    /**
     * As {@link #write(Path, float[], int, int, int, int, int)} for images given NCHW (PyTorch's
     * layout: image-major, then channels, rows, columns).
     */
    public static void writeNchw(Path png, float[] nchw, int n, int c, int h, int w, int scale) {
        AtomicFiles.write(png, png(imageNchw(nchw, n, c, h, w, scale)), "");
    }

    /** The grid as an image (TYPE_BYTE_GRAY for c = 1, TYPE_INT_RGB for c = 3), from NHWC values. */
    public static BufferedImage image(float[] nhwc, int n, int h, int w, int c, int scale) {
        check(nhwc, n, h, w, c, scale, "NHWC");
        return draw(nhwc, n, h, w, c, scale, (long) h * w * c, (long) w * c, c, 1);
    }

    /** The grid as an image, from NCHW values. */
    public static BufferedImage imageNchw(float[] nchw, int n, int c, int h, int w, int scale) {
        check(nchw, n, h, w, c, scale, "NCHW");
        return draw(nchw, n, h, w, c, scale, (long) c * h * w, w, 1, (long) h * w);
    }

    /** Columns of a grid of n images: ceil(sqrt(n)). */
    public static int columns(int n) {
        int cols = (int) Math.ceil(Math.sqrt(n));
        while ((long) cols * cols < n) { // guard against sqrt rounding
            cols++;
        }
        while (cols > 1 && (long) (cols - 1) * (cols - 1) >= n) {
            cols--;
        }
        return cols;
    }

    /** Rows of a grid of n images: ceil(n / columns(n)). */
    public static int rows(int n) {
        int cols = columns(n);
        return (n + cols - 1) / cols;
    }

    /** The PNG encoding of an image. */
    public static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("javax.imageio has no PNG writer for " + image);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the image grid as PNG: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static void check(float[] v, int n, int h, int w, int c, int scale, String layout) {
        String what = "image grid of n=" + n + " h=" + h + " w=" + w + " c=" + c + " (" + layout + ") scale " + scale;
        if (n < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException(what + ": n, h and w must be at least 1");
        }
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException(what + ": c must be 1 (grey) or 3 (RGB)");
        }
        if (scale < 1 || scale > 16) {
            throw new IllegalArgumentException(what + ": scale must be 1 to 16");
        }
        if (v == null || v.length != (long) n * h * w * c) {
            throw new IllegalArgumentException(what + ": needs " + (long) n * h * w * c + " values, "
                    + (v == null ? "none" : v.length) + " given");
        }
        long width = ((long) columns(n) * (w + PAD) - PAD) * scale;
        long height = ((long) rows(n) * (h + PAD) - PAD) * scale;
        if (width * height > MAX_PIXELS) {
            throw new IllegalArgumentException(what + ": the picture would be " + width + "x" + height + " pixels, more than "
                    + MAX_PIXELS + "; use fewer images or a smaller scale");
        }
    }

    /** 8-bit level of a value in [-1, 1]: round((v + 1) * 127.5), clamped; NaN -> 0. */
    static int level(float v) {
        if (!(v > -1f)) { // also NaN
            return 0;
        }
        if (v >= 1f) {
            return 255;
        }
        return (int) Math.floor((v + 1.0) * 127.5 + 0.5);
    }

    /** Value of image i, row y, column x, channel k at i*si + y*sy + x*sx + k*sk. */
    private static BufferedImage draw(float[] v, int n, int h, int w, int c, int scale, long si, long sy, long sx, long sk) {
        int cols = columns(n);
        int rows = rows(n);
        int width = (cols * (w + PAD) - PAD) * scale;
        int height = (rows * (h + PAD) - PAD) * scale;
        BufferedImage img = new BufferedImage(width, height, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        WritableRaster r = img.getRaster();
        int grey = PAD_LEVEL;
        int padRgb = grey << 16 | grey << 8 | grey;
        // background: the padding lines and empty cells
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (c == 1) {
                    r.setSample(x, y, 0, grey);
                } else {
                    img.setRGB(x, y, padRgb);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            int x0 = (i % cols) * (w + PAD) * scale;
            int y0 = (i / cols) * (h + PAD) * scale;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    long at = i * si + y * sy + x * sx;
                    int pixel;
                    if (c == 1) {
                        pixel = level(v[(int) at]);
                    } else {
                        pixel = level(v[(int) at]) << 16 | level(v[(int) (at + sk)]) << 8 | level(v[(int) (at + 2 * sk)]);
                    }
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            if (c == 1) {
                                r.setSample(x0 + x * scale + dx, y0 + y * scale + dy, 0, pixel);
                            } else {
                                img.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, pixel);
                            }
                        }
                    }
                }
            }
        }
        return img;
    }
}
