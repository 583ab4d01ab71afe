package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.reference.SwapAxesReference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/swap_axes.cu against {@link SwapAxesReference} on every device: a permutation, so exactly. */
@Tag("host-runtime")
class SwapAxesConformanceTest {
    /** [groups, a, b, c]: trivial, odd sizes, image packing (a = m, b = H W) of grey and RGB, and more elements than one grid covers. */
    static final int[][] SHAPES = {{1, 1, 1, 1}, {2, 7, 3, 5}, {3, 2, 25, 3}, {4, 4, 64, 1}, {2, 3, 16 * 16, 3}, {5, 2, 2048 * 60, 1}};

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(SHAPES).map(s -> Arguments.of(d, s[0], s[1], s[2], s[3])));
    }

    @ParameterizedTest(name = "[{0}] [{1}, {2}, {3}, {4}] -> [{1}, {3}, {2}, {4}] and back")
    @MethodSource("cases")
    void swapMatchesReferenceAndInverts(Target target, int groups, int a, int b, int c) {
        Device dev = target.device();
        int n = groups * a * b * c;
        float[] x = RandomData.normal(new SplittableRandom(n), n, 1.0);
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor ty = Tensor.empty(dev, Shape.of(n)); Tensor back = Tensor.empty(dev, Shape.of(n))) {
            SwapAxes.swapMiddle(tx, ty, groups, a, b, c);
            assertArrayEquals(SwapAxesReference.swapMiddle(x, groups, a, b, c), ty.toArray());
            SwapAxes.swapMiddle(ty, back, groups, b, a, c);
            assertArrayEquals(x, back.toArray(), "swapping back with a and b exchanged restores x");
        }
    }

    /** The reference on a case worked by hand: [1, 2, 3, 1] (a 2x3 matrix) transposed. */
    @Test
    void referenceTransposesByHand() {
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, SwapAxesReference.swapMiddle(new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 3, 1));
        // c = 2 keeps pairs together: [[ (1,2) (3,4) ], [ (5,6) (7,8) ]] -> [[ (1,2) (5,6) ], [ (3,4) (7,8) ]]
        assertArrayEquals(new float[] {1, 2, 5, 6, 3, 4, 7, 8},
                SwapAxesReference.swapMiddle(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2));
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor x = Tensor.zeros(dev, Shape.of(24)); Tensor y = Tensor.zeros(dev, Shape.of(24)); Tensor z = Tensor.zeros(dev, Shape.of(25))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SwapAxes.swapMiddle(x, z, 2, 3, 4, 1));
            assertTrue(e.getMessage().contains("swap_middle_axes") && e.getMessage().contains("[25]") && e.getMessage().contains("24"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> SwapAxes.swapMiddle(x, x, 2, 3, 4, 1));
            assertTrue(e.getMessage().contains("same buffer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> SwapAxes.swapMiddle(x, y, 0, 3, 4, 2));
            assertTrue(e.getMessage().contains("sizes must be >= 1"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> SwapAxes.swapMiddle(x, y, 1 << 16, 1 << 16, 2, 1));
            assertTrue(e.getMessage().contains("more than 2^31 - 1"), e.getMessage());
        }
    }
}
