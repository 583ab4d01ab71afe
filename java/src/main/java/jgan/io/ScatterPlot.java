package jgan.io;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A scatter plot of 2-D points as a PNG, drawn and encoded here (java.base only: the GPU bundle's
 * runtime has no java.desktop). Layers are drawn in order, each a colour and a dot size; a light
 * grid marks the unit steps.
 */
public final class ScatterPlot {
    private final int size;
    private final double lo;
    private final double hi;
    private final byte[] rgb;

    /** A square plot of {@code size} pixels showing [lo, hi] on both axes. */
    public ScatterPlot(int size, double lo, double hi) {
        if (size < 16 || !(hi > lo)) {
            throw new IllegalArgumentException("plot of " + size + " px over [" + lo + ", " + hi + "]");
        }
        this.size = size;
        this.lo = lo;
        this.hi = hi;
        this.rgb = new byte[3 * size * size];
        java.util.Arrays.fill(rgb, (byte) 255);
        for (long g = (long) Math.ceil(lo); g <= hi; g++) { // grid lines at integers
            int p = pixel(g);
            int shade = g == 0 ? 200 : 232;
            for (int i = 0; i < size; i++) {
                set(p, i, shade, shade, shade);
                set(i, size - 1 - p, shade, shade, shade);
            }
        }
    }

    private int pixel(double v) {
        return (int) Math.round((v - lo) / (hi - lo) * (size - 1));
    }

    private void set(int x, int y, int r, int g, int b) {
        if (x < 0 || y < 0 || x >= size || y >= size) {
            return;
        }
        int i = 3 * (y * size + x);
        rgb[i] = (byte) r;
        rgb[i + 1] = (byte) g;
        rgb[i + 2] = (byte) b;
    }

    /** Draws points given as x0, y0, x1, y1, ... in colour 0xRRGGBB, as dots of {@code dot} pixels. */
    public ScatterPlot points(float[] xy, int color, int dot) {
        int r = color >> 16 & 255, g = color >> 8 & 255, b = color & 255;
        for (int i = 0; i + 1 < xy.length; i += 2) {
            if (!Float.isFinite(xy[i]) || !Float.isFinite(xy[i + 1])) {
                continue;
            }
            int px = pixel(xy[i]), py = size - 1 - pixel(xy[i + 1]);
            for (int dx = 0; dx < dot; dx++) {
                for (int dy = 0; dy < dot; dy++) {
                    set(px + dx - dot / 2, py + dy - dot / 2, r, g, b);
                }
            }
        }
        return this;
    }

    public byte[] png() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream h = new DataOutputStream(ihdr);
            h.writeInt(size);
            h.writeInt(size);
            h.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB, deflate, no filter method, no interlace
            chunk(out, "IHDR", ihdr.toByteArray());
            byte[] raw = new byte[size * (1 + 3 * size)];
            for (int y = 0; y < size; y++) {
                raw[y * (1 + 3 * size)] = 0; // filter: none
                System.arraycopy(rgb, 3 * size * y, raw, y * (1 + 3 * size) + 1, 3 * size);
            }
            Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
            deflater.setInput(raw);
            deflater.finish();
            ByteArrayOutputStream z = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            while (!deflater.finished()) {
                z.write(buf, 0, deflater.deflate(buf));
            }
            deflater.end();
            chunk(out, "IDAT", z.toByteArray());
            chunk(out, "IEND", new byte[0]);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }

    public void write(Path file) throws IOException {
        Files.write(file, png());
    }
}
