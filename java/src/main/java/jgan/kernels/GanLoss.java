package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * The GAN losses that are not cross-entropies, loss and gradient in one launch with the sum
 * reduced on the device (kernels/gan_loss.cu; reference {@link jgan.reference.GanLossReference}).
 * With constant target t: LINEAR l = t z (Wasserstein), HINGE l = max(0, 1 - t z), SQUARED
 * l = (z - t)^2 / 2 (least squares).
 */
public final class GanLoss {
    public static final String KERNEL = "gan_loss_forward_backward";
    static final int THREADS = 256; // the kernel's block reduction assumes exactly this
    static final int MAX_BLOCKS = 1024;
    private static final long WORKSPACE_BYTES = 4L * MAX_BLOCKS + 16;

    public enum Kind {
        LINEAR(0), HINGE(1), SQUARED(2);

        final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    private GanLoss() {
    }

    /**
     * Writes the reduced loss into {@code loss} (one element; added when {@code accumulate}) and,
     * unless {@code grad} is null, d loss / d logits into {@code grad}.
     */
    public static void lossAndGradient(Tensor logits, Tensor loss, Tensor grad, Kind kind, float target, Reduction reduction,
                                       boolean accumulate) {
        Check.sameDevice(KERNEL, logits, loss, grad);
        Check.finite(KERNEL, "target", target);
        if (grad != null) {
            Check.sameNumel(KERNEL, "logits", logits, "grad", grad);
        }
        if (loss.numel() != 1) {
            throw new IllegalArgumentException(KERNEL + ": loss must have one element, has shape " + loss.shape());
        }
        int n = logits.numel();
        Device device = logits.device();
        DeviceBuffer ws = device.workspace(KERNEL, WORKSPACE_BYTES);
        device.launch(KERNEL, LaunchConfig.cover(n, THREADS, MAX_BLOCKS), new KernelArgs()
                .ptr(logits).ptr(grad).ptr(loss).ptr(ws, 0).ptr(ws, 4L * MAX_BLOCKS)
                .i32(n).i32(kind.code).f32(target).f32(reduction.factor(n)).i32(accumulate ? 1 : 0));
    }
}
