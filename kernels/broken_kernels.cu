// broken_kernels.cu — deliberately wrong kernels: the host runtime must catch each one and name
// the kernel, block and thread. Launched only on the host runtime (on a GPU they would corrupt
// the context or hang); they are in the fatbin only because every kernel file is.
#include "jgan_portable.cuh"

// Even threads wait at a barrier that odd threads never reach.
JGAN_KERNEL void broken_divergent_syncthreads(float* x) {
    if (threadIdx.x % 2 == 0) {
        __syncthreads();
    }
    x[threadIdx.x] = 1.f;
}

// Every thread writes `offset` elements past its own index: past the end when offset >= n.
JGAN_KERNEL void broken_out_of_bounds_write(float* x, int n, int offset) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i + offset] = 1.f;
}

// Lanes 0-15 shuffle with a full mask while lanes 16-31 wait at a block barrier: a deadlock.
JGAN_KERNEL void broken_warp_deadlock(float* x) {
    float v = x[threadIdx.x];
    if (threadIdx.x < 16) {
        v = __shfl_sync(JGAN_FULL_MASK, v, 0);
    } else {
        __syncthreads();
    }
    x[threadIdx.x] = v;
}

// Dereferences a null pointer argument.
JGAN_KERNEL void broken_null_read(const float* x, float* y) {
    y[threadIdx.x] = x[threadIdx.x];
}

// Waits for a flag nobody sets.
JGAN_KERNEL void broken_spin_forever(const int* flag) {
    while (*(volatile const int*)flag == 0) {
    }
}

// 256 KiB of locals per thread: more than a fiber's stack (64 KiB by default).
JGAN_KERNEL void broken_stack_overflow(int* out, int index) {
    volatile int big[64 * 1024];
    big[index % (64 * 1024)] = index;
    out[threadIdx.x] = big[(index * 7) % (64 * 1024)];
}

// ---- shared-memory races (caught by the race-check build) and schedule-dependent results ----

// Warp 0 stores a tile that warp 1 reads, with no __syncthreads() between: a read-after-write
// race (64 threads). y[i] = x[31 - i] for i < 32, when it happens to work.
JGAN_KERNEL void broken_race_missing_barrier(const float* x, float* y) {
    __shared__ float tile[32];
    const int t = threadIdx.x;
    if (t < 32) tile[t] = x[t];
    if (t >= 32) y[t - 32] = tile[63 - t];
}

// broken_race_missing_barrier with the tile in dynamic shared memory (blockDim.x floats of it):
// every thread stores its element and reads the mirrored one with no barrier between.
JGAN_KERNEL void broken_race_dynamic_shared(const float* x, float* y) {
    JGAN_DYNAMIC_SHARED(float, tile);
    const int t = threadIdx.x;
    tile[t] = x[t];
    y[t] = tile[blockDim.x - 1 - t];
}

// A buffer is filled and synchronised; warp 1 reads its lower half, which warp 0 overwrites
// with no barrier after those reads: a write-after-read race (64 threads; the double-buffering
// bug of a tiled loop that lacks the barrier before refilling a tile).
JGAN_KERNEL void broken_race_overwrite(const float* x, float* y) {
    __shared__ float buf[64];
    const int t = threadIdx.x;
    buf[t] = x[t];
    __syncthreads();
    const float v = t >= 32 ? buf[t - 32] : 0.f;
    if (t < 32) buf[t] = 2.f * x[t];
    __syncthreads();
    y[t] = v + buf[t];
}

// Warp 0 stores an accumulator tile (all ones) into shared memory with wmma::store_matrix_sync
// and warp 1 loads it with wmma::load_matrix_sync, with no barrier between: a read-after-write
// race between the two warps' collective accesses (64 threads). c gets warp 1's tile.
JGAN_KERNEL void broken_race_wmma(float* c) {
#if JGAN_HAS_WMMA_TF32_BF16
    using namespace nvcuda;
    __shared__ __align__(32) float tile[16 * 16];
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> f;
    if (threadIdx.x < 32) {
        wmma::fill_fragment(f, 1.0f);
        wmma::store_matrix_sync(tile, f, 16, wmma::mem_row_major);
    } else {
        wmma::load_matrix_sync(f, tile, 16, wmma::mem_row_major);
        wmma::store_matrix_sync(c, f, 16, wmma::mem_row_major);
    }
#endif
}

// Lanes of one warp exchange values through shared memory: each writes its word, then reads its
// neighbour's. With use_syncwarp != 0 a __syncwarp() orders the two (correct); without, the
// read races with the neighbour's write. One warp.
JGAN_KERNEL void broken_race_in_warp(float* y, int use_syncwarp) {
    __shared__ float s[32];
    const int lane = threadIdx.x % 32;
    s[lane] = (float)lane;
    if (use_syncwarp) __syncwarp();
    y[lane] = s[lane ^ 1];
}

// Every thread counts itself into one shared counter, then thread 0 stores it: correct with
// use_atomic != 0 (atomicAdd), a write-after-write race with a plain increment.
JGAN_KERNEL void broken_race_shared_counter(int* count, int use_atomic) {
    __shared__ int n;
    if (threadIdx.x == 0) n = 0;
    __syncthreads();
    if (use_atomic) atomicAdd(&n, 1);
    else n = n + 1;
    __syncthreads();
    if (threadIdx.x == 0) count[blockIdx.x] = n;
}

// Every thread stores its index into one shared word; after the barrier the block writes what is
// left: the last writer wins, so the result depends on the order the threads ran in.
JGAN_KERNEL void broken_last_writer_wins(int* out) {
    __shared__ int last;
    last = threadIdx.x;
    __syncthreads();
    if (threadIdx.x == 0) out[blockIdx.x] = last;
}

// Thread 0 of each block takes a ticket: out[block] is the order in which the blocks started
// (with one worker thread).
JGAN_KERNEL void broken_block_order(unsigned* ticket, int* out) {
    if (threadIdx.x == 0) out[blockIdx.x] = (int)atomicAdd(ticket, 1u);
}
