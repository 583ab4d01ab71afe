package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jgan.device.Device;
import jgan.nn.Sequential;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** PacGAN packing of 2-D samples for an MLP discriminator: which sample D sees where. */
class PackingTest {
    static final int B = 12;

    /** Sample s = (100 s + 1, 100 s + 2): every value names its sample and feature. */
    static float[] labelled(int n) {
        float[] x = new float[2 * n];
        for (int s = 0; s < n; s++) {
            x[2 * s] = 100 * s + 1;
            x[2 * s + 1] = 100 * s + 2;
        }
        return x;
    }

    /**
     * A packed D's first layer sees, in packed row j at input column 2i + f, feature f of sample
     * jm + i: checked through a real D (a dense layer 2m -> 1 with weight k + 1 at column k), its
     * logits against the sum over the samples computed here, and its data gradient, unpacked, at
     * each sample's own place (sample s, feature f gets weight 2 (s mod m) + f + 1).
     */
    @ParameterizedTest(name = "[{0}] pack {1}")
    @MethodSource("cases")
    void packedDiscriminatorSeesConsecutiveSamplesInOrder(Target target, int m) {
        Device dev = target.device();
        float[] x = labelled(B);
        int rows = B / m, in = 2 * m;
        try (Tensor tx = Tensor.of(dev, Shape.of(B, 2), x);
             Sequential d = Sequential.builder(in).dense(1).build(dev); Sequential.Pass pass = d.pass(rows)) {
            Tensor packed = Packing.pack(tx, m);
            assertEquals(Shape.of(rows, in), packed.shape());
            assertSame(tx.buffer(), packed.buffer()); // a view: no copy
            float[] seen = packed.toArray();
            for (int j = 0; j < rows; j++) {
                for (int i = 0; i < m; i++) {
                    for (int f = 0; f < 2; f++) {
                        assertEquals(100 * (j * m + i) + f + 1, seen[j * in + 2 * i + f], 0f, "row " + j + " column " + (2 * i + f));
                    }
                }
            }
            float[] params = new float[in + 1];
            for (int k = 0; k < in; k++) {
                params[k] = k + 1; // W [1, in]
            }
            params[in] = 0.5f; // bias
            d.parameters().copyFrom(params);
            float[] logits = pass.forward(packed).toArray();
            assertEquals(rows, logits.length);
            for (int j = 0; j < rows; j++) {
                double want = 0.5;
                for (int i = 0; i < m; i++) {
                    int s = j * m + i;
                    want += (2 * i + 1) * (100.0 * s + 1) + (2 * i + 2) * (100.0 * s + 2);
                }
                assertEquals(want, logits[j], 1e-6 * Math.abs(want), "logit of packed row " + j);
            }
            try (Tensor dy = Tensor.of(dev, Shape.of(rows, 1), ones(rows))) {
                Tensor dx = Packing.unpack(pass.backward(dy, false, true), m, 2);
                assertEquals(Shape.of(B, 2), dx.shape());
                float[] g = dx.toArray();
                for (int s = 0; s < B; s++) {
                    for (int f = 0; f < 2; f++) {
                        assertEquals(2 * (s % m) + f + 1, g[2 * s + f], 0f, "gradient of sample " + s + " feature " + f);
                    }
                }
            }
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return jgan.testing.TestDevices.all().flatMap(d -> java.util.stream.Stream.of(1, 2, 4)
                .map(m -> org.junit.jupiter.params.provider.Arguments.of(d, m)));
    }

    static float[] ones(int n) {
        float[] o = new float[n];
        java.util.Arrays.fill(o, 1f);
        return o;
    }

    /**
     * Images pack along channels: packed image j, pixel (h, w), channel i C + k is image jm + i's
     * channel k at (h, w) (values name image, pixel and channel); the gradient of a D whose
     * packed input is x * (channel weight) unpacks to each image's own channels.
     */
    @ParameterizedTest(name = "[{0}] images, pack {1}")
    @MethodSource("cases")
    void imagesPackAlongChannels(Target target, int m) {
        Device dev = target.device();
        int b = 4, h = 3, w = 5, c = 3;
        float[] x = new float[b * h * w * c];
        for (int n = 0; n < b; n++) {
            for (int p = 0; p < h * w; p++) {
                for (int k = 0; k < c; k++) {
                    x[(n * h * w + p) * c + k] = 1000 * n + 10 * p + k;
                }
            }
        }
        try (Tensor tx = Tensor.of(dev, Shape.of(b, h, w, c), x); Tensor packed = Tensor.empty(dev, Shape.of(b / m, h, w, m * c));
             Tensor back = Tensor.empty(dev, Shape.of(b, h, w, c))) {
            float[] got = Packing.packImages(tx, m, packed).toArray();
            for (int j = 0; j < b / m; j++) {
                for (int p = 0; p < h * w; p++) {
                    for (int i = 0; i < m; i++) {
                        for (int k = 0; k < c; k++) {
                            assertEquals(1000 * (j * m + i) + 10 * p + k, got[((j * h * w + p) * m + i) * c + k], 0f,
                                    "packed " + j + " pixel " + p + " channel " + (i * c + k));
                        }
                    }
                }
            }
            assertArrayEquals(x, Packing.unpackImages(packed, m, back).toArray(), "unpack inverts pack");
        }
    }

    @Test
    void unpackInvertsPack() {
        Device dev = jgan.testing.TestDevices.host();
        float[] x = labelled(B);
        try (Tensor tx = Tensor.of(dev, Shape.of(B, 2), x)) {
            Tensor back = Packing.unpack(Packing.pack(tx, 3), 3, 2);
            assertEquals(Shape.of(B, 2), back.shape());
            assertArrayEquals(x, back.toArray());
        }
    }

    @Test
    void refusals() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Packing.check(10, 3, false));
        assertTrue(e.getMessage().contains("batch 10") && e.getMessage().contains("pack 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Packing.check(6, 4, true));
        assertTrue(e.getMessage().contains("batch 6") && e.getMessage().contains("pack 4") && e.getMessage().contains("images"),
                e.getMessage());
        Packing.check(64, 2, true);
        e = assertThrows(IllegalArgumentException.class, () -> Packing.check(64, 0, false));
        assertTrue(e.getMessage().contains("pack must be >= 1"), e.getMessage());
        Packing.check(64, 1, true); // no packing is fine for every model
        Packing.check(64, 4, false);
        Device dev = jgan.testing.TestDevices.host();
        try (Tensor img = Tensor.zeros(dev, Shape.of(4, 2, 2, 1)); Tensor x = Tensor.zeros(dev, Shape.of(6, 2))) {
            e = assertThrows(IllegalArgumentException.class, () -> Packing.pack(img, 2));
            assertTrue(e.getMessage().contains("[batch, features]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Packing.pack(x, 4));
            assertTrue(e.getMessage().contains("batch 6") && e.getMessage().contains("pack 4"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Packing.unpack(x, 2, 2));
            assertTrue(e.getMessage().contains("unpack"), e.getMessage());
            try (Tensor wrong = Tensor.zeros(dev, Shape.of(2, 2, 2, 1))) {
                e = assertThrows(IllegalArgumentException.class, () -> Packing.packImages(img, 2, wrong));
                assertTrue(e.getMessage().contains("[2, 2, 2, 2]"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> Packing.packImages(x, 2, wrong));
                assertTrue(e.getMessage().contains("[batch, H, W, C]"), e.getMessage());
            }
        }
    }
}
