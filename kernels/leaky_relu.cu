// leaky_relu.cu — leaky ReLU, forward and backward.
//
// Shapes: flat arrays of n floats (any tensor, elementwise). In place is allowed: y may be x in
// the forward, dx may be dy in the backward.
//   leaky_relu_forward(x, y, n, slope):       y[i]  = x[i] > 0 ? x[i] : slope * x[i]
//   leaky_relu_backward(y, dy, dx, n, slope): dx[i] = y[i] > 0 ? dy[i] : slope * dy[i]
// The backward reads the forward's OUTPUT y (or its input x: for slope >= 0 they have the same
// sign), so an in-place forward keeps all the backward needs. slope >= 0 (checked in Java).
//
// Expected bound: memory. Forward moves 8 bytes per element, backward 12, for about one FLOP:
// at H200's ~4.3 TB/s that is ~1.9 ns per 1000 elements forward. Grid-stride loops over float4
// when every pointer is 16-byte aligned (one 128-bit access per thread per array), scalar
// otherwise and for the tail.
#include "jgan_portable.cuh"

namespace leaky_relu_detail {

__device__ __forceinline__ float leaky(float v, float slope) { return v > 0.f ? v : slope * v; }
__device__ __forceinline__ float leaky_grad(float y, float g, float slope) { return y > 0.f ? g : slope * g; }

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace leaky_relu_detail

JGAN_KERNEL void leaky_relu_forward(const float* x, float* y, int n, float slope) {
    using namespace leaky_relu_detail;
    const int stride = gridDim.x * blockDim.x;
    int start = blockIdx.x * blockDim.x + threadIdx.x;
    int done = 0;
    if (aligned16(x) && aligned16(y)) {
        const int n4 = n / 4;
        const float4* x4 = reinterpret_cast<const float4*>(x);
        float4* y4 = reinterpret_cast<float4*>(y);
        for (int i = start; i < n4; i += stride) {
            float4 v = x4[i];
            v.x = leaky(v.x, slope);
            v.y = leaky(v.y, slope);
            v.z = leaky(v.z, slope);
            v.w = leaky(v.w, slope);
            y4[i] = v;
        }
        done = n4 * 4;
    }
    for (int i = done + start; i < n; i += stride) y[i] = leaky(x[i], slope);
}

JGAN_KERNEL void leaky_relu_backward(const float* y, const float* dy, float* dx, int n, float slope) {
    using namespace leaky_relu_detail;
    const int stride = gridDim.x * blockDim.x;
    int start = blockIdx.x * blockDim.x + threadIdx.x;
    int done = 0;
    if (aligned16(y) && aligned16(dy) && aligned16(dx)) {
        const int n4 = n / 4;
        const float4* y4 = reinterpret_cast<const float4*>(y);
        const float4* g4 = reinterpret_cast<const float4*>(dy);
        float4* d4 = reinterpret_cast<float4*>(dx);
        for (int i = start; i < n4; i += stride) {
            float4 v = y4[i], g = g4[i];
            g.x = leaky_grad(v.x, g.x, slope);
            g.y = leaky_grad(v.y, g.y, slope);
            g.z = leaky_grad(v.z, g.z, slope);
            g.w = leaky_grad(v.w, g.w, slope);
            d4[i] = g;
        }
        done = n4 * 4;
    }
    for (int i = done + start; i < n; i += stride) dx[i] = leaky_grad(y[i], dy[i], slope);
}
