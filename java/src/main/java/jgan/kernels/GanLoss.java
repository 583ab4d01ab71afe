package jgan.kernels;

import jgan.device.Device;
import jgan.device.KernelArgs;
import jgan.tensor.Tensor;

/**
 * The GAN losses that are not cross-entropies, loss and gradient in one launch with the sum
 * reduced on the device (kernels/gan_loss.cu; reference {@link jgan.reference.GanLossReference}).
 * With constant target t: LINEAR l = t z (Wasserstein), HINGE l = max(0, 1 - t z), SQUARED
 * l = (z - t)^2 / 2 (least squares).
 */
public final class GanLoss {
    public static final String KERNEL = "gan_loss_forward_backward";
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
        GridSum.oneElement(KERNEL, "loss", loss);
        int n = logits.numel();
        Device device = logits.device();
        device.launch(KERNEL, GridSum.config(n), GridSum.workspace(new KernelArgs().ptr(logits).ptr(grad).ptr(loss), device, KERNEL)
                .i32(n).i32(kind.code).f32(target).f32(reduction.factor(n)).i32(accumulate ? 1 : 0));
    }
}
