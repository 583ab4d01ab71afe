package jgan.kernels;

import jgan.tensor.Tensor;

/** Argument checks shared by the kernels' Java faces: refuse bad input before any launch. */
final class Check {
    private Check() {
    }

    static void sameDevice(String op, Tensor first, Tensor... others) {
        for (Tensor t : others) {
            if (t != null && t.device() != first.device()) {
                throw new IllegalArgumentException(op + ": tensors on different devices (" + first.device().name() + " and "
                        + t.device().name() + ")");
            }
        }
    }

    static void sameNumel(String op, String nameA, Tensor a, String nameB, Tensor b) {
        if (a.numel() != b.numel()) {
            throw new IllegalArgumentException(op + ": " + nameA + " " + a.shape() + " and " + nameB + " " + b.shape()
                    + " differ in size (" + a.numel() + " vs " + b.numel() + " elements)");
        }
    }

    static void finite(String op, String name, float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(op + ": " + name + " must be finite, got " + value);
        }
    }
}
