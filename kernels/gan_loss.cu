// gan_loss.cu — the GAN losses that are not a cross-entropy, loss and gradient in one pass.
//
// Input: n critic outputs (logits) z. With a constant target t and a factor k (Java passes
// k = scale / n for a mean):
//   kind 0 LINEAR:  l = t z                       dl/dz = t        (Wasserstein: t = -1 real, +1 fake; G: -1)
//   kind 1 HINGE:   l = max(0, 1 - t z)           dl/dz = -t [1 - t z > 0]   (t = +1 real, -1 fake)
//   kind 2 SQUARED: l = (z - t)^2 / 2             dl/dz = z - t    (least squares: t = 1 real, 0 fake)
//   loss (=|+=) k sum_i l_i,   grad_i = k dl/dz_i  (grad may be null: loss only)
// The cross-entropy losses (minimax, non-saturating) are sigmoid_cross_entropy.cu's.
//
// The sum is reduced on the device in one launch, deterministically (grid_reduce.cuh), and can
// be replayed in a CUDA graph. Workspace: partials[gridDim.x] and one unsigned counter.
//
// Expected bound: memory (4 bytes read, 4 written per element); n is the batch size, so in
// practice the launch itself.
#include "grid_reduce.cuh"

namespace gan_loss_detail {
constexpr int kThreads = 256;  // the Java face launches exactly this many threads per block
}

JGAN_KERNEL void gan_loss_forward_backward(const float* logits, float* grad, float* loss, float* partials, unsigned* counter, int n, int kind, float target, float scale, int accumulate) {
    using namespace gan_loss_detail;
    float acc = 0.f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        const float z = logits[i];
        float l, g;
        if (kind == 0) {
            l = target * z;
            g = target;
        } else if (kind == 1) {
            const float margin = 1.f - target * z;
            l = margin > 0.f ? margin : 0.f;
            g = margin > 0.f ? -target : 0.f;
        } else {
            const float d = z - target;
            l = 0.5f * d * d;
            g = d;
        }
        acc += l;
        if (grad) grad[i] = scale * g;
    }
    grid_reduce::grid_sum<kThreads>(acc, partials, counter, loss, scale, accumulate);
}
