package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jgan.tensor.Shape;
import org.junit.jupiter.api.Test;

/** ConvProblem's sizes against PyTorch's formulas, TensorFlow's 'same', the transposed mirror, and its refusals. */
class ConvProblemTest {
    /** PyTorch Conv2d: floor((H + 2*pad - dilation*(k-1) - 1) / stride) + 1. */
    static int torchOut(int in, int pad, int dil, int k, int stride) {
        return Math.floorDiv(in + 2 * pad - dil * (k - 1) - 1, stride) + 1;
    }

    @Test
    void outputSizesMatchPyTorch() {
        int checked = 0;
        for (int h = 1; h <= 12; h++) {
            for (int k = 1; k <= 5; k++) {
                for (int stride = 1; stride <= 3; stride++) {
                    for (int pad = 0; pad <= 2; pad++) {
                        for (int dil = 1; dil <= 2; dil++) {
                            int expect = torchOut(h, pad, dil, k, stride);
                            if (expect < 1) {
                                continue;
                            }
                            ConvProblem pr = ConvProblem.of(2, h, h + 1, 3, 4, k, stride, pad, dil);
                            assertEquals(expect, pr.p(), pr.toString());
                            assertEquals(torchOut(h + 1, pad, dil, k, stride), pr.q(), pr.toString());
                            checked++;
                        }
                    }
                }
            }
        }
        assertTrue(checked > 500, "cases " + checked);
        ConvProblem d1 = ConvProblem.of(2, 64, 64, 3, 64, 4, 2, 1, 1);
        assertEquals(Shape.of(2, 32, 32, 64), d1.outputShape());
        assertEquals(Shape.of(64, 4, 4, 3), d1.filterShape());
        assertEquals(Shape.of(2, 64, 64, 3), d1.inputShape());
        assertEquals(2L * 32 * 32 * 64 * 4 * 4 * 3, d1.macs());
        assertEquals(2L * 32 * 32, d1.fpropGemm()[0]);
        assertEquals(48, d1.wgradGemm()[1]);
        assertEquals(2L * 64 * 64, d1.dgradGemm()[0]);
    }

    @Test
    void sameIsAsymmetricForEvenSizesWithStride2() {
        // TensorFlow: out = ceil(64 / 2) = 32, total pad = (32-1)*2 + 5 - 64 = 3: 1 on top/left, 2 at bottom/right.
        ConvProblem pr = ConvProblem.same(1, 64, 64, 3, 64, 5, 2, 1);
        assertEquals(1, pr.padTop());
        assertEquals(2, pr.padBottom());
        assertEquals(1, pr.padLeft());
        assertEquals(2, pr.padRight());
        assertEquals(32, pr.p());
        assertEquals(32, pr.q());
        // Odd size, stride 2: ceil(33/2) = 17, total pad = 16*2 + 5 - 33 = 4: symmetric.
        ConvProblem odd = ConvProblem.same(1, 33, 33, 3, 8, 5, 2, 1);
        assertEquals(17, odd.p());
        assertEquals(2, odd.padTop());
        assertEquals(2, odd.padBottom());
        // The discriminator's chain 64 -> 32 -> 16 -> 8 -> 4 -> 2 keeps ceil(H / 2).
        int h = 64;
        for (int i = 0; i < 5; i++) {
            ConvProblem l = ConvProblem.same(1, h, h, 8, 8, 5, 2, 1);
            assertEquals((h + 1) / 2, l.p());
            h = l.p();
        }
        // stride 1, k3: pad 1 both sides.
        ConvProblem s1 = ConvProblem.same(1, 10, 7, 2, 2, 3, 1, 1);
        assertEquals(10, s1.p());
        assertEquals(7, s1.q());
        assertEquals(1, s1.padTop());
        assertEquals(1, s1.padBottom());
    }

    @Test
    void transposedSizesMatchPyTorch() {
        // PyTorch ConvTranspose2d: (in - 1)*stride - 2*pad + dil*(k-1) + output_padding + 1.
        int checked = 0;
        for (int in = 1; in <= 9; in++) {
            for (int k = 1; k <= 5; k++) {
                for (int stride = 1; stride <= 3; stride++) {
                    for (int pad = 0; pad <= 2; pad++) {
                        for (int dil = 1; dil <= 2; dil++) {
                            for (int op = 0; op < Math.max(stride, dil); op++) {
                                int outSize = (in - 1) * stride - 2 * pad + dil * (k - 1) + op + 1;
                                if (outSize < 1) {
                                    continue;
                                }
                                ConvProblem pr = ConvProblem.transposed(3, in, in + 1, 5, 7, k, stride, pad, op, dil);
                                assertEquals(outSize, pr.h(), pr.toString());
                                assertEquals(in, pr.p(), pr.toString());
                                assertEquals(in + 1, pr.q(), pr.toString());
                                assertEquals(7, pr.c());
                                assertEquals(5, pr.k());
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 500, "cases " + checked);
        // DCGAN-64 G: 4x4x512 -> 8x8x256 (k4 s2 p1), and the first 1x1x100 -> 4x4x512 (k4 s1 p0).
        ConvProblem g2 = ConvProblem.transposed(2, 4, 4, 512, 256, 4, 2, 1, 0, 1);
        assertEquals(Shape.of(2, 8, 8, 256), g2.inputShape());
        assertEquals(Shape.of(2, 4, 4, 512), g2.outputShape());
        assertEquals(Shape.of(512, 4, 4, 256), g2.filterShape());
        ConvProblem g1 = ConvProblem.transposed(2, 1, 1, 100, 512, 4, 1, 0, 0, 1);
        assertEquals(Shape.of(2, 4, 4, 512), g1.inputShape());
        // DCGAN-28: 7 -> 14 -> 28.
        assertEquals(14, ConvProblem.transposed(1, 7, 7, 128, 64, 4, 2, 1, 0, 1).h());
        // output_padding: 3x3 k3 s2 p1 gives 5, or 6 with output_padding 1.
        assertEquals(5, ConvProblem.transposed(1, 3, 3, 1, 1, 3, 2, 1, 0, 1).h());
        assertEquals(6, ConvProblem.transposed(1, 3, 3, 1, 1, 3, 2, 1, 1, 1).h());
    }

    static void refused(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void badProblemsAreRefusedWithMessages() {
        refused("every size must be >= 1", () -> ConvProblem.of(0, 8, 8, 3, 4, 3, 1, 1, 1));
        refused("every size must be >= 1", () -> ConvProblem.of(1, 8, -8, 3, 4, 3, 1, 1, 1));
        refused("every size must be >= 1", () -> ConvProblem.of(1, 8, 8, 3, 0, 3, 1, 1, 1));
        refused("stride and dilation must be >= 1", () -> ConvProblem.of(1, 8, 8, 3, 4, 3, 0, 1, 1));
        refused("stride and dilation must be >= 1", () -> ConvProblem.of(1, 8, 8, 3, 4, 3, 1, 1, 0));
        refused("padding must be >= 0", () -> ConvProblem.of(1, 8, 8, 3, 4, 3, 1, -1, 1));
        refused("no output", () -> ConvProblem.of(1, 2, 2, 3, 4, 5, 1, 0, 1));
        refused("no output", () -> ConvProblem.of(1, 5, 5, 3, 4, 3, 1, 0, 3));
        refused("output_padding", () -> ConvProblem.transposed(1, 4, 4, 2, 2, 4, 2, 1, 2, 1));
        refused("output_padding", () -> ConvProblem.transposed(1, 4, 4, 2, 2, 4, 2, 1, -1, 1));
        refused("conv_transpose: output", () -> ConvProblem.transposed(1, 1, 1, 2, 2, 1, 1, 1, 0, 1));
        refused("conv_transpose", () -> ConvProblem.transposed(1, 4, 4, 2, 2, 4, 0, 1, 0, 1));
        // The message names the problem.
        refused("N=1 H=2 W=2 C=3 K=4 R=5 S=5", () -> ConvProblem.of(1, 2, 2, 3, 4, 5, 1, 0, 1));
    }

    @Test
    void intOverflowIsRefused() {
        // N*H*W*C = 2^31 exactly.
        refused("exceeds 2^31 - 1", () -> ConvProblem.of(2, 1 << 14, 1 << 14, 4, 1, 1, 1, 0, 1));
        // the output: N*P*Q*K over 2^31 while the input fits.
        refused("exceeds 2^31 - 1", () -> ConvProblem.of(1, 1 << 14, 1 << 14, 1, 16, 1, 1, 0, 1));
        // the filter: K*R*S*C.
        refused("exceeds 2^31 - 1", () -> ConvProblem.of(1, 200, 200, 1 << 16, 1 << 16, 1, 1, 0, 1));
        // a padded extent beyond int is computed in long (P = 2^31 - 1 here, Q = 1: just fits).
        ConvProblem big = new ConvProblem(1, 1, 1, 1, 1, 1, 1, Integer.MAX_VALUE / 2, Integer.MAX_VALUE / 2, 0, 0, 1, 1, 1, 1);
        assertEquals((long) Integer.MAX_VALUE / 2 * 2 + 1, (long) big.p());
        // A problem just under the limit is accepted.
        ConvProblem ok = ConvProblem.of(1, 1 << 15, 1 << 15, 1, 1, 1, 1, 0, 1);
        assertEquals(1 << 15, ok.p());
    }
}
