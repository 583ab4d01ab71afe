// bias_grad.cu — the gradient of a bias: column sums of a row-major matrix, deterministically.
//
//   bias_grad(dy, db, partials, counters, rows, cols, accumulate):
//     db[j] = sum_i dy[i * cols + j]          (j < cols; db[j] += ... when accumulate != 0)
// dy is [rows, cols] row-major (the batch's output gradients of a layer y = x W + b); db is
// [cols]. No float atomics: every sum is taken in a fixed order that depends only on
// (rows, cols) and the grid, which the Java face derives from (rows, cols) alone; so the same
// shape gives the same bits on every run and every GPU.
//
// Layout of a block (256 threads): a column group of cw columns by R = 256 / cw row lanes;
// thread t is lane r = t / cw of column c = t % cw (threads past R * cw only join barriers).
//   cols <= 128: cw = cols, one group: a block step reads R whole consecutive rows, R * cols
//                contiguous floats, so narrow matrices (cols = 3) read fully coalesced;
//   cols >  128: cw = 32: a warp reads 128 contiguous bytes of one row.
// Grid: x = column groups, y = row chunks. Lane r of chunk y takes rows y R + r, then steps by
// R gridDim.y. The R lanes of a column are added by a shared-memory tree (fixed pairing).
// gridDim.y == 1: that is the answer. gridDim.y > 1 (tall matrices, rows 1e5 x cols 3, where
// one block per group would leave the GPU idle): each block writes its column totals to
// partials[y * cols + j]; the last block of the group to finish (an atomic ticket per group in
// counters[x]) adds the chunks' partials in chunk order (lane r takes chunks r, r + R, ..., then
// the same tree) and writes db, then resets its ticket, so a captured graph can replay it.
// Workspace: partials[gridDim.y * cols] and counters[gridDim.x], counters zero before the first
// launch (Java sizes the grid to fit it).
//
// Expected bound: memory: 4 bytes read per element, one add; 4 bytes written per column. Small
// MLP shapes (rows 64..512, cols 2..1024, <= 2 MB) are launch-latency bound whatever we do.
#include "jgan_portable.cuh"

namespace bias_grad_detail {

constexpr int kThreads = 256;   // the Java face launches exactly this many threads per block
constexpr int kNarrowCols = 128;
constexpr int kWideGroup = 32;

__device__ __forceinline__ int group_width(int cols) { return cols <= kNarrowCols ? cols : kWideGroup; }

// Adds v over the `lanes` row lanes of each of the cw columns of the block, in a fixed tree
// order; the total of column c is returned to lane 0 of it (thread c). Every thread of the
// block must call it (barriers); threads past lanes * cw pass 0 and are never read.
__device__ __forceinline__ float column_tree(float v, int r, int lanes, int cw) {
    __shared__ float s[kThreads];
    const int t = threadIdx.x;
    s[t] = v;
    __syncthreads();
    int half = 1;
    while (half < lanes) half <<= 1;
    // First step folds lanes [half/2 ... lanes) onto [0 ...); from then on a power of two.
    for (half >>= 1; half > 0; half >>= 1) {
        if (r < half && r + half < lanes) s[t] += s[t + half * cw];
        __syncthreads();
    }
    return s[t];
}

}  // namespace bias_grad_detail

JGAN_KERNEL void bias_grad(const float* dy, float* db, float* partials, unsigned* counters, int rows, int cols, int accumulate) {
    using namespace bias_grad_detail;
    const int cw = group_width(cols);
    const int lanes = kThreads / cw;
    const int t = threadIdx.x;
    const int r = t / cw, c = t % cw;
    const int col = blockIdx.x * cw + c;
    const bool active = r < lanes && col < cols;
    const bool writer = r == 0 && col < cols;

    float acc = 0.f;
    if (active) {
        const long long step = (long long)lanes * gridDim.y;
        for (long long row = (long long)blockIdx.y * lanes + r; row < rows; row += step) acc += dy[row * cols + col];
    }
    const float block_total = column_tree(acc, r, lanes, cw);
    if (gridDim.y == 1) {
        if (writer) db[col] = accumulate ? db[col] + block_total : block_total;
        return;
    }

    if (writer) partials[(long long)blockIdx.y * cols + col] = block_total;
    __shared__ bool last_block;
    __syncthreads();  // every partial of this block is written
    if (t == 0) {
        __threadfence();  // ... and visible to every block before the ticket is taken
        last_block = atomicAdd(&counters[blockIdx.x], 1u) == gridDim.y - 1;
        __threadfence();
    }
    __syncthreads();
    if (!last_block) return;

    // The last block of this column group: the chunks' partials in a fixed order (volatile:
    // from memory, not from a stale L1 line).
    const volatile float* p = partials;
    float v = 0.f;
    if (active) {
        for (int k = r; k < (int)gridDim.y; k += lanes) v += p[(long long)k * cols + col];
    }
    const float total = column_tree(v, r, lanes, cw);
    if (writer) db[col] = accumulate ? db[col] + total : total;
    if (t == 0) counters[blockIdx.x] = 0u;  // ready for the next launch or graph replay
}
