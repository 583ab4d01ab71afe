package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.DeviceMemory;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * Softmax cross-entropy with logits and integer class labels: the loss, its gradient and the
 * argmax predictions in one launch, the loss reduced on the device. PyTorch's
 * {@code F.cross_entropy(logits, labels, reduction='mean'|'sum')} (no class weights, no label
 * smoothing, no ignore_index). Kernel: kernels/softmax_cross_entropy.cu; reference:
 * {@link jgan.reference.SoftmaxCrossEntropyReference}.
 *
 * <pre>
 *   logits z [N, K] row-major, labels y [N] int32 in [0, K)
 *   l_r    = logsumexp_k z_rk - z_ry                 (-log softmax(z_r)_y, in nats)
 *   loss   = c * sum_r l_r                            c = scale / N for MEAN, scale for SUM
 *   grad_rk = d loss / d z_rk = c * (softmax(z_r)_k - [k == y_r])
 *   pred_r = argmax_k z_rk (the first maximum; NaN counts as the maximum, as torch.argmax)
 * </pre>
 * A row with a NaN or +Inf logit, or only -Inf logits, gives a NaN loss and NaN gradients (as
 * PyTorch's log_softmax); a label whose logit is -Inf gives +Inf. A label outside [0, K) on the
 * device sets the error flag (when one is given) and makes its row's loss and gradient NaN; labels
 * known on the host are checked before they reach the device by {@link #uploadLabels}.
 */
public final class SoftmaxCrossEntropy {
    public static final String KERNEL = "softmax_cross_entropy_forward_backward";

    private SoftmaxCrossEntropy() {
    }

    /**
     * Writes the loss into {@code loss} (one element; added to it when {@code accumulate}), and
     * the gradient into {@code grad} and the argmax of each row into {@code predictions} unless they
     * are null.
     *
     * @param logits      [N, K] float32, N >= 1, K >= 1
     * @param labels      N int32 class indices (at least 4N bytes), e.g. from {@link #uploadLabels}
     * @param loss        one element
     * @param grad        N * K elements (the shape of logits), or null for the loss alone
     * @param predictions N int32 (at least 4N bytes), or null
     * @param errorFlag   one int32 set to 1 when a label is outside [0, K); never cleared by the
     *                    kernel (zero it first); or null
     * @throws IllegalArgumentException for a logits tensor that is not [N, K] with N, K >= 1,
     *                                  operands on other devices or too small, a null reduction
     */
    public static void lossAndGradient(Tensor logits, DeviceMemory labels, Tensor loss, Tensor grad, DeviceMemory predictions,
                                       DeviceMemory errorFlag, Reduction reduction, boolean accumulate) {
        if (logits == null || labels == null || loss == null || reduction == null) {
            throw new IllegalArgumentException(KERNEL + ": logits, labels, loss and reduction are required");
        }
        if (logits.shape().rank() != 2 || logits.shape().dim(0) < 1 || logits.shape().dim(1) < 1) {
            throw new IllegalArgumentException(KERNEL + ": logits must be [N, K] with N, K >= 1, got " + logits.shape());
        }
        int rows = logits.shape().dim(0), classes = logits.shape().dim(1);
        Check.sameDevice(KERNEL, logits, loss, grad);
        sameDevice(logits, "labels", labels);
        sameDevice(logits, "predictions", predictions);
        sameDevice(logits, "error flag", errorFlag);
        if (grad != null) {
            Check.sameNumel(KERNEL, "logits", logits, "grad", grad);
        }
        GridSum.oneElement(KERNEL, "loss", loss);
        atLeast("labels", labels, 4L * rows, logits);
        if (predictions != null) {
            atLeast("predictions", predictions, 4L * rows, logits);
        }
        if (errorFlag != null) {
            atLeast("error flag", errorFlag, 4, logits);
        }
        Device device = logits.device();
        KernelArgs args = new KernelArgs().ptr(logits).ptr(labels).ptr(grad).ptr(predictions).ptr(loss);
        GridSum.workspace(args, device, KERNEL).ptr(errorFlag)
                .i32(rows)
                .i32(classes)
                .f32(reduction.factor(rows))
                .i32(accumulate ? 1 : 0);
        // one warp (32 threads) per row, 8 rows a block, at most MAX_BLOCKS blocks (the grid strides)
        device.launch(KERNEL, LaunchConfig.cover((long) rows * 32, GridSum.THREADS, GridSum.MAX_BLOCKS), args);
    }

    /**
     * Copies host labels to a new int32 device buffer of {@code labels.length} elements (the
     * caller closes it), after checking that every one lies in [0, classes).
     *
     * @throws IllegalArgumentException for an empty array, classes < 1, or a label out of range
     *                                  (naming the first one and its index)
     */
    public static DeviceBuffer uploadLabels(Device device, int[] labels, int classes) {
        checkLabels(labels, classes);
        DeviceBuffer b = device.allocate(4L * labels.length);
        device.copyToDevice(labels, 0, b, 0, labels.length);
        return b;
    }

    /** Refuses an empty label array, classes < 1, or a label outside [0, classes). */
    public static void checkLabels(int[] labels, int classes) {
        if (labels == null || labels.length == 0 || classes < 1) {
            throw new IllegalArgumentException(KERNEL + ": need at least one label and one class, got "
                    + (labels == null ? "null" : labels.length + "") + " labels and " + classes + " classes");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException(KERNEL + ": label " + labels[i] + " at index " + i + " is outside [0, " + classes
                        + ") (" + labels.length + " labels)");
            }
        }
    }

    private static void sameDevice(Tensor logits, String name, DeviceMemory m) {
        if (m != null && m.device() != logits.device()) {
            throw new IllegalArgumentException(KERNEL + ": tensors on different devices (logits on " + logits.device().name() + ", "
                    + name + " on " + m.device().name() + ")");
        }
    }

    private static void atLeast(String name, DeviceMemory m, long bytes, Tensor logits) {
        if (m.byteLength() < bytes) {
            throw new IllegalArgumentException(KERNEL + ": " + name + " for logits " + logits.shape() + " need " + bytes
                    + " bytes, have " + m.byteLength());
        }
    }
}
