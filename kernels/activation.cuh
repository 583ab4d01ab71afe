// activation.cuh — the activations fused into the epilogues of the GEMM mainloop (dense, conv)
// and batch norm, and their derivatives: one definition, so that every fused op agrees.
//
// Codes are jgan.kernels.Activation's: 0 identity, 1 ReLU, 2 leaky ReLU (slope >= 0), 3 tanh.
// NaN passes through, as in PyTorch (relu(NaN) = NaN): a diverging network shows NaN downstream,
// where the NaN/Inf watchdog (reduce.cu) sees it, instead of a ReLU quietly turning it into 0.
//
// The derivative is taken from the activation's OUTPUT y (all four allow it: y > 0 exactly where
// the input was > 0 for ReLU and leaky ReLU with slope >= 0, and tanh' = 1 - y^2), so a backward
// pass needs only the forward's output and can apply it while loading dy.
#pragma once
#include "jgan_portable.cuh"

namespace jgan_activation {

enum Activation { IDENTITY = 0, RELU = 1, LEAKY_RELU = 2, TANH = 3 };

__device__ __forceinline__ float activate(float v, int act, float slope) {
    switch (act) {
        case RELU: return v < 0.f ? 0.f : v;
        case LEAKY_RELU: return v < 0.f ? slope * v : v;
        case TANH: return tanhf(v);
        default: return v;
    }
}

// d act / d pre-activation, from the activation's output y.
__device__ __forceinline__ float activation_grad(float y, int act, float slope) {
    switch (act) {
        case RELU: return y > 0.f ? 1.f : 0.f;
        case LEAKY_RELU: return y > 0.f ? 1.f : slope;
        case TANH: return 1.f - y * y;
        default: return 1.f;
    }
}

}  // namespace jgan_activation
