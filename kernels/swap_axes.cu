// swap_axes.cu — a batched transpose of the two middle axes of a 4-D tensor, with its innermost
// axis kept contiguous:
//
//   swap_middle_axes(x, y, groups, a, b, c):  y[g][j][i][k] = x[g][i][j][k]
//     x: [groups, a, b, c] row-major; y: [groups, b, a, c] row-major; n = groups a b c < 2^31.
//
// Its use: PacGAN's packing of NHWC images (jgan.gan.Packing). m images [m, H, W, C] become one
// of m C channels, [H, W, m C] with channel i C + k = image i's channel k, which is x viewed as
// [B/m, m, H W, C] swapped into [B/m, H W, m, C] (a = m, b = H W); D's data gradient goes back
// with a = H W, b = m. Not in place (y must not overlap x).
//
// Expected bound: memory, 8 bytes per element (read + write), ~2 ns per 1000 elements at H200's
// ~4.3 TB/s; reads are contiguous in runs of c, writes fully contiguous. One grid-stride loop
// over y's elements (the index arithmetic is a few integer divisions per element).
#include "jgan_portable.cuh"

JGAN_KERNEL void swap_middle_axes(const float* x, float* y, int groups, int a, int b, int c) {
    const int n = groups * a * b * c;
    const int stride = gridDim.x * blockDim.x;
    for (int o = blockIdx.x * blockDim.x + threadIdx.x; o < n; o += stride) {
        int t = o / c;
        const int k = o - t * c;
        const int i = t % a;
        t /= a;
        const int j = t % b;
        const int g = t / b;
        y[o] = x[((g * a + i) * b + j) * c + k];
    }
}
