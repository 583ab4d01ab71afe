// counters.cu — step counters that live on the device.
//
// A CUDA graph replays its launches with the arguments they had at capture, so whatever must
// change from one training step to the next (the RNG offset, an optimizer's step count) is read
// by the kernels from device memory and advanced by these one-thread kernels, captured in the
// graph after the kernels that read it.
//   counter_add_i32(c, delta): *c += delta     (an optimizer's step count)
//   counter_add_i64(c, delta): *c += delta     (a Philox offset, in counters)
// Expected bound: one launch's latency.
#include "jgan_portable.cuh"

JGAN_KERNEL void counter_add_i32(int* counter, int delta) {
    if (blockIdx.x == 0 && threadIdx.x == 0) *counter += delta;
}

JGAN_KERNEL void counter_add_i64(long long* counter, long long delta) {
    if (blockIdx.x == 0 && threadIdx.x == 0) *counter += delta;
}
