package jgan.kernels;

import jgan.device.Device;
import jgan.device.KernelArgs;
import jgan.tensor.Tensor;

/**
 * Sigmoid cross-entropy with logits, loss and gradient in one launch, the loss reduced on the
 * device. Kernel: kernels/sigmoid_cross_entropy.cu; reference:
 * {@link jgan.reference.SigmoidCrossEntropyReference}.
 *
 * <pre>
 *   l_i  = max(z_i, 0) - z_i t_i + log(1 + exp(-|z_i|))
 *   loss = k * sum_i w_i l_i          k = scale / n for MEAN, scale for SUM
 *   grad_i = d loss / d z_i = k * w_i * (sigmoid(z_i) - t_i)
 * </pre>
 * Targets may be anywhere in [0, 1] (label smoothing); weights are optional.
 */
public final class SigmoidCrossEntropy {
    public static final String KERNEL = "sigmoid_cross_entropy_forward_backward";
    private SigmoidCrossEntropy() {
    }

    /**
     * Writes the loss into {@code loss} (one element; added to it when {@code accumulate}) and,
     * unless {@code grad} is null, the gradient into {@code grad}. {@code weights} may be null.
     */
    public static void lossAndGradient(Tensor logits, Tensor targets, Tensor weights, Tensor loss, Tensor grad,
                                       Reduction reduction, boolean accumulate) {
        Check.sameDevice(KERNEL, logits, targets, weights, loss, grad);
        Check.sameNumel(KERNEL, "logits", logits, "targets", targets);
        if (weights != null) {
            Check.sameNumel(KERNEL, "logits", logits, "weights", weights);
        }
        if (grad != null) {
            Check.sameNumel(KERNEL, "logits", logits, "grad", grad);
        }
        GridSum.oneElement(KERNEL, "loss", loss);
        int n = logits.numel();
        Device device = logits.device();
        KernelArgs args = new KernelArgs().ptr(logits).ptr(targets).ptr(weights).ptr(grad).ptr(loss);
        device.launch(KERNEL, GridSum.config(n), GridSum.workspace(args, device, KERNEL)
                .i32(n)
                .f32(reduction.factor(n))
                .i32(accumulate ? 1 : 0));
    }
}
