package jgan.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Collectors;

import jgan.kernels.Activation;
import jgan.kernels.Dense;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The cpu device's launch profile (what {@code jgan bench --profile} prints): rows, GEMM time, results unchanged. */
class LaunchProfileTest {
    private static float[] ramp(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = ((i * 37) % 101 - 50) * scale;
        }
        return v;
    }

    /** y = x w^T of [rows, 64] x [96, 64], then a device copy of y and a fill, on {@code d}; returns y. */
    private static float[] work(CpuDevice d, int rows) {
        try (Tensor x = Tensor.of(d, Shape.of(rows, 64), ramp(rows * 64, 0.01f));
             Tensor w = Tensor.of(d, Shape.of(96, 64), ramp(96 * 64, 0.02f));
             Tensor y = Tensor.empty(d, Shape.of(rows, 96));
             Tensor y2 = Tensor.empty(d, Shape.of(rows, 96))) {
            Dense.forward(x, w, null, y, Activation.RELU, 0f, MathMode.FP32);
            y2.copyFrom(y);
            d.fill32(y.buffer(), y.byteOffset(), 8, 0);
            return y2.toArray();
        }
    }

    @Test
    void everyLaunchCopyAndFillIsARowKeyedByItsIntegerArgumentsAndResultsDoNotChange() {
        try (CpuDevice d = new CpuDevice(2)) {
            float[] plain = work(d, 128);
            LaunchProfile p = new LaunchProfile();
            d.profile(p);
            float[] profiled = work(d, 128);
            work(d, 128);
            work(d, 32);
            d.profile(null);
            work(d, 16); // not recorded
            assertArrayEquals(plain, profiled, 0f, "profiling changes no result");
            Map<String, LaunchProfile.Entry> rows = p.entries().stream().collect(Collectors.toMap(e -> e.kernel() + "(" + e.ints() + ")",
                    e -> e));
            // dense_forward's ints: rows, in, out, act, mode
            LaunchProfile.Entry big = rows.get("dense_forward(128,64,96,1,0)");
            assertTrue(big != null, rows.keySet().toString());
            assertEquals(2, big.calls());
            assertEquals(1, rows.get("dense_forward(32,64,96,1,0)").calls());
            assertTrue(big.nanos() > 0 && big.gemmThreadNanos() > 0, "the dense launch's time and the sgemm time inside it: " + big);
            assertEquals(2, rows.get("device_copy(" + 128 * 96 + ")").calls(), rows.keySet().toString());
            assertEquals(1, rows.get("device_copy(" + 32 * 96 + ")").calls(), rows.keySet().toString());
            LaunchProfile.Entry fill = rows.get("fill32(8)");
            assertEquals(3, fill.calls(), rows.keySet().toString());
            assertEquals(0, fill.gemmThreadNanos());
            assertTrue(rows.keySet().stream().noneMatch(k -> k.startsWith("dense_forward(16,")), "detached: nothing recorded");
        }
    }
}
