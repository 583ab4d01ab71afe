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
