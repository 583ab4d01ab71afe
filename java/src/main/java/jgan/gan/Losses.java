package jgan.gan;

import jgan.device.Device;
import jgan.kernels.GanLoss;
import jgan.kernels.Reduction;
import jgan.kernels.SigmoidCrossEntropy;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * The loss-and-gradient launches of one {@link LossKind} for a batch size: cross-entropies
 * through kernels/sigmoid_cross_entropy.cu, the others through kernels/gan_loss.cu. The loss
 * values are added on the device into the given one-element accumulators (read back only
 * every few steps); the gradients (d loss / d logit) are written.
 */
final class Losses implements AutoCloseable {
    private final LossKind kind;
    private final float realTarget;
    private final Tensor realTargets; // cross-entropy targets, constant tensors
    private final Tensor fakeTargets;
    private final Tensor ones;

    Losses(Device device, LossKind kind, int batch, float labelSmoothing) {
        this.kind = kind;
        this.realTarget = 1f - labelSmoothing;
        if (kind.logits()) {
            realTargets = Tensor.empty(device, Shape.of(batch, 1));
            realTargets.fill(realTarget);
            fakeTargets = Tensor.zeros(device, Shape.of(batch, 1));
            ones = Tensor.empty(device, Shape.of(batch, 1));
            ones.fill(1f);
        } else {
            realTargets = fakeTargets = ones = null;
        }
    }

    /** D's loss on real and fake logits: gradients into gradReal and gradFake, loss added to lossD. */
    void discriminator(Tensor real, Tensor fake, Tensor gradReal, Tensor gradFake, Tensor lossD) {
        switch (kind) {
            case MINIMAX, NON_SATURATING -> {
                SigmoidCrossEntropy.lossAndGradient(real, realTargets, null, lossD, gradReal, Reduction.MEAN, true);
                SigmoidCrossEntropy.lossAndGradient(fake, fakeTargets, null, lossD, gradFake, Reduction.MEAN, true);
            }
            case WASSERSTEIN -> {
                GanLoss.lossAndGradient(real, lossD, gradReal, GanLoss.Kind.LINEAR, -1f, Reduction.MEAN, true);
                GanLoss.lossAndGradient(fake, lossD, gradFake, GanLoss.Kind.LINEAR, 1f, Reduction.MEAN, true);
            }
            case HINGE -> {
                GanLoss.lossAndGradient(real, lossD, gradReal, GanLoss.Kind.HINGE, 1f, Reduction.MEAN, true);
                GanLoss.lossAndGradient(fake, lossD, gradFake, GanLoss.Kind.HINGE, -1f, Reduction.MEAN, true);
            }
            case LEAST_SQUARES -> {
                GanLoss.lossAndGradient(real, lossD, gradReal, GanLoss.Kind.SQUARED, realTarget, Reduction.MEAN, true);
                GanLoss.lossAndGradient(fake, lossD, gradFake, GanLoss.Kind.SQUARED, 0f, Reduction.MEAN, true);
            }
        }
    }

    /** G's loss on the fake logits (seen by the updated D): gradient into gradFake, loss added to lossG. */
    void generator(Tensor fake, Tensor gradFake, Tensor lossG) {
        switch (kind) {
            case MINIMAX -> // minimise E[log(1 - D(G(z)))] = -BCE(fake, 0)
                    SigmoidCrossEntropy.lossAndGradient(fake, fakeTargets, null, lossG, gradFake, Reduction.MEAN.times(-1f), true);
            case NON_SATURATING -> SigmoidCrossEntropy.lossAndGradient(fake, ones, null, lossG, gradFake, Reduction.MEAN, true);
            case WASSERSTEIN, HINGE ->
                    GanLoss.lossAndGradient(fake, lossG, gradFake, GanLoss.Kind.LINEAR, -1f, Reduction.MEAN, true);
            case LEAST_SQUARES -> GanLoss.lossAndGradient(fake, lossG, gradFake, GanLoss.Kind.SQUARED, 1f, Reduction.MEAN, true);
        }
    }

    @Override
    public void close() {
        if (realTargets != null) {
            realTargets.close();
            fakeTargets.close();
            ones.close();
        }
    }
}
