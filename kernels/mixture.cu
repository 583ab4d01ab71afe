// mixture.cu — samples from a mixture of equally likely isotropic Gaussians, on the device, so
// that a training step draws its real batch without leaving the GPU (the 2-D toy mixtures
// ring8 and grid25 of PacGAN / VEEGAN).
//
// mixture_sample(out, n, centers, modes, std, seed, offset_ptr):
//   out [n, 2] row-major; centers [modes, 2]. Row i comes from ONE Philox-4x32-10 call with
//   counter *offset_ptr + i and key seed (the mapping of philox.cu): word 0 picks the mode,
//   floor(u * modes) with u = (w0 >> 8) * 2^-24; words 2 and 3 give two standard normals by
//   Box-Muller (as philox_normal's words 2, 3); word 1 is unused.
//     out[i] = centers[mode] + std * (z0, z1)
//   A batch of n rows uses n counters: advance *offset_ptr by n (counter_add_i64) after it.
//   The offset is read from device memory so the draw can sit in a replayed CUDA graph.
// Expected bound: one Philox call, a logf, a sincosf and 8 bytes written per row: the launch.
#include "philox.cuh"

JGAN_KERNEL void mixture_sample(float* out, int n, const float* centers, int modes, float stddev, long long seed, const long long* offset) {
    using namespace philox_detail;
    const unsigned long long base = (unsigned long long)*offset;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        const Block b = philox4x32_10(base + (unsigned long long)i, (unsigned long long)seed);
        int mode = (int)(u01_closed_open(b.w0) * (float)modes);
        mode = mode < modes ? mode : modes - 1;  // u < 1, but u * modes may round up to modes
        float z0, z1;
        box_muller(b.w2, b.w3, 0.f, 1.f, z0, z1);
        out[2 * i] = centers[2 * mode] + stddev * z0;
        out[2 * i + 1] = centers[2 * mode + 1] + stddev * z1;
    }
}
