package jgan.data;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import jgan.io.FileError;

/**
 * A folder of images as an {@link ImageDataset}: searched recursively for PNG, JPEG, GIF and BMP files (by
 * extension, any case: .png .jpg .jpeg .gif .bmp; files and folders whose names start with '.' are skipped),
 * decoded by javax.imageio (with TwelveMonkeys' JPEG reader, which also reads CMYK/YCCK and Adobe JPEGs),
 * each made square and {@code imageSize} wide like torchvision's {@code Resize(size)} followed by
 * {@code CenterCrop(size)}: the shorter side scaled to {@code imageSize} (the longer to
 * {@code floor(imageSize * long / short)}), aspect kept, then the centre {@code imageSize x imageSize} (offset
 * {@code round((scaled - size) / 2)}, halves to even).
 *
 * <p>Colour: grey, grey+alpha, RGB, RGBA and palette images (any bit depth the decoders read) are read as their
 * stored values (grey samples are not gamma-converted); transparent pixels are composited onto the background
 * colour (white by default): {@code out = a * colour + (1 - a) * background}. With 1 channel the result is the
 * luma of ITU-R BT.601, {@code (299 R + 587 G + 114 B) / 1000} (PIL's {@code convert("L")}); with 3, RGB.
 *
 * <p>Resizing: halvings by 2x2 averaging while the image is at least twice the target (so a large photo is
 * area-averaged, not aliased), then one bicubic step (Java2D) to the exact size; small images are enlarged
 * bicubically.
 *
 * <p>Files that cannot be decoded are skipped and listed in {@link Loaded#report()} (which the training command
 * writes to RUN/data-report.txt). Decoding runs on several threads; the order of the images is that of their
 * sorted relative paths whatever the threads do.
 */
public final class ImageFolder {
    /** The extensions searched for, lower case. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "gif", "bmp");
    /** The default background for transparent pixels: white. */
    public static final int WHITE = 0xFFFFFF;
    /** Images with more pixels than this are skipped (a decoded 16k x 16k image is 1 GiB of ints). */
    public static final long MAX_PIXELS = 1L << 28;

    private ImageFolder() {
    }

    /** A file that was found but not used, and why. */
    public record Skipped(String file, String reason) {
    }

    /**
     * What {@link #load} gives.
     *
     * @param dataset the images read, in sorted path order
     * @param files   the paths (relative to the folder) of the images in the dataset, in its order
     * @param tried   how many image files were found (read + skipped)
     * @param skipped the image files that could not be read, with reasons
     * @param ignored how many files were ignored because of their extension (hidden files not counted)
     * @param report  a text for RUN/data-report.txt: the folder, the counts, the skipped files and their reasons
     */
    public record Loaded(ImageDataset dataset, List<String> files, int tried, List<Skipped> skipped, int ignored, String report) {
    }

    /** {@link #load(Path, int, int, int)} with a white background. */
    public static Loaded load(Path dir, int imageSize, int channels) {
        return load(dir, imageSize, channels, WHITE);
    }

    /**
     * Reads every image under {@code dir}.
     *
     * @param imageSize  the side of the square images made, 1..4096 pixels
     * @param channels   1 (luma) or 3 (RGB)
     * @param background 0xRRGGBB, the colour transparent pixels are composited onto
     * @return imageSize x imageSize x channels uint8 images (no labels), named after the folder, and the report
     * @throws IllegalArgumentException on a size or channel count out of range, or more image files than one dataset holds
     *                                  ({@link ImageDataset#MAX_BYTES})
     * @throws FileError                when the folder does not exist or cannot be read, holds no image files, or
     *                                  none of them can be read (naming the folder, how many were tried and the
     *                                  first reasons)
     */
    public static Loaded load(Path dir, int imageSize, int channels, int background) {
        if (imageSize < 1 || imageSize > 4096) {
            throw new IllegalArgumentException("image size must be 1..4096 pixels, got " + imageSize);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
        }
        if ((background & ~0xFFFFFF) != 0) {
            throw new IllegalArgumentException(String.format("background must be a 0xRRGGBB colour, got 0x%x", background));
        }
        if (!Files.isDirectory(dir)) {
            throw FileError.badInput("cannot read images from " + dir + ": " + (Files.exists(dir) ? "it is a file, not a folder" : "no such folder"),
                    null);
        }
        List<Path> found = new ArrayList<>();
        List<Skipped> skipped = Collections.synchronizedList(new ArrayList<>());
        int[] ignored = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    return !d.equals(dir) && hidden(d) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    if (hidden(f) || attrs.isDirectory()) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (EXTENSIONS.contains(extension(f))) {
                        found.add(f);
                    } else {
                        ignored[0]++;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    if (!hidden(f)) {
                        skipped.add(new Skipped(relative(dir, f), "cannot be listed: " + FileError.reason(e)));
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw FileError.of("search", dir, e, null);
        }
        Collections.sort(found);
        int n = found.size();
        if (n == 0) {
            throw FileError.badInput(dir + " holds no image files (." + String.join(", .", sorted(EXTENSIONS))
                    + ", any case, searched recursively, hidden files skipped)" + (ignored[0] > 0 ? "; " + ignored[0] + " other files" : ""), null);
        }
        ImageDataset.checkFits(n + " image files in " + dir, n, imageSize, imageSize, channels);
        byte[][] out = new byte[n][];
        String[] why = new String[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            try {
                out[i] = convert(decode(found.get(i)), imageSize, channels, background);
            } catch (Unreadable e) {
                why[i] = e.getMessage();
            } catch (IOException e) {
                why[i] = "cannot be decoded: " + FileError.reason(e) + (e.getCause() != null && e.getCause().getMessage() != null
                        ? " (" + e.getCause().getMessage() + ")" : "");
            } catch (RuntimeException e) { // decoders throw unchecked exceptions on some damaged files
                why[i] = "cannot be decoded: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
            } catch (OutOfMemoryError e) {
                why[i] = "too large to decode in this Java heap";
            }
        });
        List<String> files = new ArrayList<>();
        List<Skipped> bad = new ArrayList<>(skipped);
        int ok = 0;
        for (int i = 0; i < n; i++) {
            if (out[i] != null) {
                ok++;
                files.add(relative(dir, found.get(i)));
            } else {
                bad.add(new Skipped(relative(dir, found.get(i)), why[i]));
            }
        }
        bad.sort((a, b) -> a.file().compareTo(b.file()));
        if (ok == 0) {
            StringBuilder m = new StringBuilder("none of the " + n + " image files in " + dir + " could be read");
            for (int i = 0; i < Math.min(3, bad.size()); i++) {
                m.append(i == 0 ? ": " : "; ").append(bad.get(i).file()).append(": ").append(bad.get(i).reason());
            }
            if (bad.size() > 3) {
                m.append("; ... (").append(bad.size() - 3).append(" more)");
            }
            throw FileError.badInput(m.toString(), null);
        }
        int s = imageSize * imageSize * channels;
        byte[] pixels = new byte[ok * s];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (out[i] != null) {
                System.arraycopy(out[i], 0, pixels, k * s, s);
                k++;
            }
        }
        ImageDataset data = new ImageDataset(dir.toString(), pixels, ok, imageSize, imageSize, channels, null);
        int tried = n + skipped.size(); // the files found + those that could not even be listed
        String report = report(dir, imageSize, channels, background, tried, ok, bad, ignored[0]);
        return new Loaded(data, List.copyOf(files), tried, List.copyOf(bad), ignored[0], report);
    }

    /**
     * A dataset brought to {@code imageSize x imageSize x channels} the way {@link #load} brings a file there
     * (shorter side to size, centre crop, bicubic / area-averaged; grey to RGB by copying, RGB to grey by BT.601
     * luma), e.g. Fashion-MNIST's 28x28 grey for a DCGAN of 32 or 64. Labels are kept. The same dataset when it
     * already has that shape.
     *
     * @throws IllegalArgumentException on a size out of 1..4096, channels other than 1 or 3, or a result over {@link ImageDataset#MAX_BYTES}
     */
    public static ImageDataset resize(ImageDataset data, int imageSize, int channels) {
        if (imageSize < 1 || imageSize > 4096) {
            throw new IllegalArgumentException("image size must be 1..4096 pixels, got " + imageSize);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
        }
        if (data.height() == imageSize && data.width() == imageSize && data.channels() == channels) {
            return data;
        }
        ImageDataset.checkFits(data.name(), data.count(), imageSize, imageSize, channels);
        int h = data.height();
        int w = data.width();
        int c = data.channels();
        int in = data.imageSize();
        int out = imageSize * imageSize * channels;
        byte[] src = data.rawPixels();
        byte[] dst = new byte[data.count() * out];
        IntStream.range(0, data.count()).parallel().forEach(i -> {
            int[] rgb = new int[h * w];
            for (int p = 0; p < h * w; p++) {
                int o = i * in + p * c;
                rgb[p] = c == 1 ? (src[o] & 0xFF) * 0x010101 : (src[o] & 0xFF) << 16 | (src[o + 1] & 0xFF) << 8 | (src[o + 2] & 0xFF);
            }
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            img.setRGB(0, 0, w, h, rgb, 0, w);
            System.arraycopy(convert(img, imageSize, channels, WHITE), 0, dst, i * out, out);
        });
        return new ImageDataset(data.name() + " at " + imageSize + "x" + imageSize + "x" + channels, dst, data.count(), imageSize, imageSize,
                channels, data.labels());
    }

    private static String report(Path dir, int size, int channels, int background, int tried, int ok, List<Skipped> bad, int ignored) {
        StringBuilder b = new StringBuilder();
        b.append("folder: ").append(dir.toAbsolutePath().normalize()).append('\n');
        b.append("images: ").append(size).append('x').append(size).append('x').append(channels)
                .append(String.format(" (shorter side resized to %d, centre-cropped; transparency onto #%06x)%n", size, background));
        b.append("image files found: ").append(tried).append('\n');
        b.append("read: ").append(ok).append('\n');
        b.append("skipped: ").append(tried - ok).append('\n');
        b.append("other files ignored (not .png .jpg .jpeg .gif .bmp): ").append(ignored).append('\n');
        if (!bad.isEmpty()) {
            b.append("\nskipped files (file: reason):\n");
            for (Skipped s : bad) {
                b.append(s.file()).append(": ").append(s.reason()).append('\n');
            }
        }
        return b.toString();
    }

    /**
     * A colour by name or hex for the background option: white, black, gray/grey, or #RRGGBB / RRGGBB.
     *
     * @return 0xRRGGBB
     * @throws IllegalArgumentException on anything else
     */
    public static int parseColour(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "white":
                return 0xFFFFFF;
            case "black":
                return 0x000000;
            case "gray":
            case "grey":
                return 0x808080;
            default:
                break;
        }
        String h = t.startsWith("#") ? t.substring(1) : t;
        if (h.matches("[0-9a-f]{6}")) {
            return Integer.parseInt(h, 16);
        }
        throw new IllegalArgumentException("unknown colour '" + s + "': use white, black, grey or #RRGGBB");
    }

    // ---------------------------------------------------------------------------------------------

    /** A file that is not an image we can read, with the reason as message. */
    private static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * Whether a decoder's warning says pixels are missing: the file ends early ("Premature end of
     * JPEG file", "premature end of data segment"; ImageIO's JPEG reader then fills the rest in
     * grey and returns an image). Only these disqualify a file: other warnings (extraneous bytes
     * before a marker, an unknown chunk, a bad colour profile) leave every pixel decoded.
     */
    static boolean isTruncation(String warning) {
        String w = warning == null ? "" : warning.toLowerCase(java.util.Locale.ROOT);
        return w.contains("premature end") || w.contains("truncated");
    }

    private static BufferedImage decode(Path f) throws IOException, Unreadable {
        if (Files.size(f) == 0) {
            throw new Unreadable("empty file (0 bytes)");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            if (in == null) {
                throw new Unreadable("cannot be opened as an image stream");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new Unreadable("not a PNG, JPEG, GIF or BMP image (no decoder recognises its content)");
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                long w = r.getWidth(0);
                long h = r.getHeight(0);
                if (w < 1 || h < 1) {
                    throw new Unreadable("has no pixels (" + w + "x" + h + ")");
                }
                if (w * h > MAX_PIXELS) {
                    throw new Unreadable("too large: " + w + "x" + h + " pixels (at most " + MAX_PIXELS + ")");
                }
                java.util.List<String> truncation = new java.util.ArrayList<>();
                r.addIIOReadWarningListener((source, warning) -> {
                    if (isTruncation(warning)) {
                        truncation.add(warning);
                    }
                });
                BufferedImage img = r.read(0);
                if (img == null) {
                    throw new Unreadable("the decoder gave no image");
                }
                if (!truncation.isEmpty()) {
                    throw new Unreadable("truncated: the decoder filled in the missing part (" + truncation.get(0) + ")");
                }
                return img;
            } finally {
                r.dispose();
            }
        }
    }

    /**
     * The image's colours as opaque 0xRRGGBB, composited onto the background: grey images by their raw samples
     * (Java2D would treat them as linear light and brighten them), everything else through the colour model.
     */
    static int[] opaqueRgb(BufferedImage img, int background) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] rgb = new int[w * h];
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        boolean grey = !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        if (grey) {
            int bands = r.getNumBands();
            int alphaBand = cm.hasAlpha() ? bands - 1 : -1;
            double gMax = (1L << cm.getComponentSize(0)) - 1;
            double aMax = alphaBand >= 0 ? (1L << cm.getComponentSize(alphaBand)) - 1 : 1;
            int[] gs = new int[w];
            int[] as = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, gs);
                if (alphaBand >= 0) {
                    r.getSamples(0, y, w, 1, alphaBand, as);
                }
                for (int x = 0; x < w; x++) {
                    int g = (int) Math.round(gs[x] * 255.0 / gMax);
                    int a = alphaBand >= 0 ? (int) Math.round(as[x] * 255.0 / aMax) : 255;
                    rgb[y * w + x] = a == 255 ? g * 0x010101 : over(g * 0x010101, a, background);
                }
            }
            return rgb;
        }
        img.getRGB(0, 0, w, h, rgb, 0, w); // sRGB, straight (not premultiplied) alpha
        if (cm.hasAlpha()) {
            for (int i = 0; i < rgb.length; i++) {
                int a = rgb[i] >>> 24;
                rgb[i] = a == 255 ? rgb[i] & 0xFFFFFF : over(rgb[i], a, background);
            }
        } else {
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] &= 0xFFFFFF;
            }
        }
        return rgb;
    }

    /** colour with alpha a (0..255) over the background: per channel round((a c + (255 - a) b) / 255). */
    private static int over(int colour, int a, int background) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int c = (colour >> shift) & 0xFF;
            int b = (background >> shift) & 0xFF;
            out |= ((a * c + (255 - a) * b + 127) / 255) << shift;
        }
        return out;
    }

    /** Decoded image -> size x size x channels uint8 (HWC). */
    static byte[] convert(BufferedImage img, int size, int channels, int background) {
        int w = img.getWidth();
        int h = img.getHeight();
        BufferedImage cur = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        cur.setRGB(0, 0, w, h, opaqueRgb(img, background), 0, w);
        // torchvision Resize(size): the shorter side to size, the longer to int(size * long / short)
        int sw;
        int sh;
        if (w <= h) {
            sw = size;
            sh = (int) ((long) size * h / w);
        } else {
            sh = size;
            sw = (int) ((long) size * w / h);
        }
        sw = Math.max(sw, size);
        sh = Math.max(sh, size);
        // halve (2x2 averages: bilinear at exactly one half) while at least twice the scaled size
        while (cur.getWidth() >= 2 * sw && cur.getHeight() >= 2 * sh) {
            cur = scale(cur, cur.getWidth() / 2, cur.getHeight() / 2, 0, 0, cur.getWidth() / 2, cur.getHeight() / 2,
                    RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        }
        // CenterCrop(size): offsets round((scaled - size) / 2), Python's round (halves to even)
        int left = (int) Math.rint((sw - size) / 2.0);
        int top = (int) Math.rint((sh - size) / 2.0);
        BufferedImage sq = cur.getWidth() == sw && cur.getHeight() == sh ? cur.getSubimage(left, top, size, size) // no resampling needed
                : scale(cur, sw, sh, left, top, size, size, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        int[] px = new int[size * size];
        sq.getRGB(0, 0, size, size, px, 0, size);
        byte[] out = new byte[size * size * channels];
        for (int i = 0; i < px.length; i++) {
            int r = (px[i] >> 16) & 0xFF;
            int g = (px[i] >> 8) & 0xFF;
            int b = px[i] & 0xFF;
            if (channels == 1) {
                out[i] = (byte) ((r * 299 + g * 587 + b * 114 + 500) / 1000);
            } else {
                out[3 * i] = (byte) r;
                out[3 * i + 1] = (byte) g;
                out[3 * i + 2] = (byte) b;
            }
        }
        return out;
    }

    /** src drawn scaled to sw x sh, the window (left, top, cw, ch) of that kept. */
    private static BufferedImage scale(BufferedImage src, int sw, int sh, int left, int top, int cw, int ch, Object interpolation) {
        BufferedImage dst = new BufferedImage(cw, ch, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = dst.createGraphics();
        try {
            g.setComposite(AlphaComposite.Src);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(src, -left, -top, sw, sh, null);
        } finally {
            g.dispose();
        }
        return dst;
    }

    private static boolean hidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String relative(Path dir, Path f) {
        return dir.relativize(f).toString();
    }

    private static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        Collections.sort(l);
        return l;
    }
}
