package jgan.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The graph layer's backward against finite differences: for L = sum(c * net(x)), the parameter
 * and input gradients from {@link Sequential.Pass#backward} match central differences of L.
 */
class SequentialGradientTest {
    @ParameterizedTest(name = "[{0}] parameter and input gradients match finite differences")
    @MethodSource("jgan.testing.TestDevices#all")
    void gradientsMatchFiniteDifferences(Target target) {
        Device dev = target.device();
        int batch = 6, in = 3;
        SplittableRandom r = new SplittableRandom(5);
        try (Sequential net = Sequential.builder(in).dense(7).leakyRelu(0.2f).dense(5).tanh().dense(4)
                .activation(Activation.RELU, 0f).dense(2).build(dev)) {
            net.initialize(Init.XAVIER, 11);
            float[] x = RandomData.normal(r, batch * in, 1.0), c = RandomData.normal(r, batch * 2, 1.0);
            try (Sequential.Pass pass = net.pass(batch); Tensor tx = Tensor.of(dev, Shape.of(batch, in), x);
                 Tensor tc = Tensor.of(dev, Shape.of(batch, 2), c)) {
                pass.forward(tx);
                net.gradients().fill(0f);
                float[] dx = pass.backward(tc, true, true).toArray();
                float[] grads = net.gradients().toArray();
                float[] params = net.parameters().toArray();
                double eps = 1e-2;
                int checked = 0;
                for (int i = 0; i < params.length; i++) {
                    float[] p = params.clone();
                    p[i] = (float) (params[i] + eps);
                    net.parameters().copyFrom(p);
                    double up = loss(pass, tx, c);
                    p[i] = (float) (params[i] - eps);
                    net.parameters().copyFrom(p);
                    double down = loss(pass, tx, c);
                    double numeric = (up - down) / (2 * eps);
                    assertTrue(Math.abs(numeric - grads[i]) <= 2e-3 + 2e-2 * Math.abs(numeric),
                            "parameter " + i + ": backward " + grads[i] + ", finite difference " + numeric);
                    checked++;
                }
                net.parameters().copyFrom(params);
                for (int i = 0; i < x.length; i++) {
                    float[] xp = x.clone();
                    xp[i] = (float) (x[i] + eps);
                    tx.copyFrom(xp);
                    double up = loss(pass, tx, c);
                    xp[i] = (float) (x[i] - eps);
                    tx.copyFrom(xp);
                    double down = loss(pass, tx, c);
                    double numeric = (up - down) / (2 * eps);
                    assertTrue(Math.abs(numeric - dx[i]) <= 2e-3 + 2e-2 * Math.abs(numeric),
                            "input " + i + ": backward " + dx[i] + ", finite difference " + numeric);
                }
                assertTrue(checked == net.parameterCount());
            }
        }
    }

    private static double loss(Sequential.Pass pass, Tensor x, float[] c) {
        float[] y = pass.forward(x).toArray();
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += (double) c[i] * y[i];
        }
        return l;
    }
}
