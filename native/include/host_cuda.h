// host_cuda.h — CUDA semantics on the CPU, for the host build of kernels/*.cu.
//
// Included (only) by kernels/jgan_portable.cuh when JGAN_HOST is defined. A launch runs the
// grid's blocks on a pool of worker threads; inside a block every CUDA thread is a fiber, and
// the fibers of a block run one at a time under a fixed round-robin schedule (or a seeded
// shuffled one: JGAN_HOST_SCHEDULE=shuffle:SEED). So:
//   - `__shared__` is `static thread_local`: one OS thread runs one block at a time, so all
//     fibers of the block see the same array, and concurrent blocks see their own;
//   - `__syncthreads()` and the warp collectives switch fibers; the runtime checks that every
//     thread of the block (or every lane of the mask) reaches the same call, and reports the
//     kernel, block and thread otherwise — never a hang;
//   - global-memory atomics are real atomics, since blocks run in parallel;
//   - in the race-check build (JGAN_RACECHECK, native/build.sh racecheck) every access of
//     kernel code is instrumented and shared-memory races are reported (runtime.cpp).
// The wmma part (nvcuda::wmma) is in host_wmma.h.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

// ---- qualifiers ---------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __shared__ static thread_local
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __syncthreads() ::jgan_host::syncthreads(__FILE__, __LINE__)
#define __syncwarp(...) ::jgan_host::syncwarp_at(__FILE__, __LINE__, ##__VA_ARGS__)

// ---- built-in vector types ------------------------------------------------------------------
struct uint3 { unsigned x, y, z; };
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct __align__(8) float2 { float x, y; };
struct __align__(16) float4 { float x, y, z, w; };
struct __align__(8) int2 { int x, y; };
struct __align__(16) int4 { int x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }

namespace jgan_host {

// The CUDA thread the calling fiber is. Set by the runtime before each fiber runs.
struct ThreadContext {
    uint3 thread_idx;
    uint3 block_idx;
    dim3 block_dim;
    dim3 grid_dim;
};
extern thread_local ThreadContext* tl_thread;
inline const ThreadContext& current() { return *tl_thread; }

void syncthreads(const char* file, int line);
void syncwarp_at(const char* file, int line, unsigned mask = 0xffffffffu);

// A warp collective: every lane named in `mask` deposits `value` and waits until all of them
// have; returns the 32 deposited values (lanes outside the mask read as 0). Checks that the
// caller is in `mask`, that every lane in `mask` exists and reaches a collective with the same
// mask and op, and reports the kernel, block and lane otherwise.
const uint64_t* warp_collective(unsigned mask, uint64_t value, const char* op, const char* file, int line);

// This thread's lane (0..31) and warp within the block.
unsigned lane_id();

// Dynamic shared memory of the running block (16-byte aligned; size given at launch).
void* dynamic_shared_raw();
template <class T>
inline T* dynamic_shared() { return static_cast<T*>(dynamic_shared_raw()); }

// Reports a failure of the running kernel (with block and thread) and abandons the launch.
[[noreturn]] void kernel_trap(const char* what);

#if JGAN_RACECHECK
// The race-check build: `rows` rows of `row_bytes` bytes, `stride_bytes` apart, read or written
// by the running thread. The wmma loads and stores copy their tiles uninstrumented (every lane
// of the host model reads the whole tile) and record them with this, once for the warp.
void race_tile(const void* p, unsigned rows, unsigned row_bytes, size_t stride_bytes, bool write);
#endif

template <class T>
inline uint64_t to_bits(T v) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "warp shuffles move at most 8 bytes");
    uint64_t b = 0;
    memcpy(&b, &v, sizeof(T));
    return b;
}
template <class T>
inline T from_bits(uint64_t b) {
    T v;
    memcpy(&v, &b, sizeof(T));
    return v;
}

// Source lane of a shuffle within segments of `width` lanes (CUDA's rules); -1 keeps own value.
inline int shfl_source(unsigned lane, int src, int width) {
    int base = (int)(lane & ~(unsigned)(width - 1));
    return base + (src & (width - 1));
}

template <class T>
inline T shfl(unsigned mask, T var, int src, int width, const char* op, const char* file, int line) {
    const uint64_t* all = warp_collective(mask, to_bits(var), op, file, line);
    if (src < 0) return var;
    if (!(mask & (1u << src))) {
        kernel_trap("a warp shuffle read a lane that is not in its mask");
    }
    return from_bits<T>(all[src]);
}

}  // namespace jgan_host

#define threadIdx (::jgan_host::current().thread_idx)
#define blockIdx (::jgan_host::current().block_idx)
#define blockDim (::jgan_host::current().block_dim)
#define gridDim (::jgan_host::current().grid_dim)
#define warpSize 32

// ---- warp intrinsics -------------------------------------------------------------------------
#define __shfl_sync(mask, var, src, ...) \
    ::jgan_host::shfl_sync_impl(mask, var, src, __FILE__, __LINE__, ##__VA_ARGS__)
#define __shfl_xor_sync(mask, var, lm, ...) \
    ::jgan_host::shfl_xor_impl(mask, var, lm, __FILE__, __LINE__, ##__VA_ARGS__)
#define __shfl_down_sync(mask, var, d, ...) \
    ::jgan_host::shfl_down_impl(mask, var, d, __FILE__, __LINE__, ##__VA_ARGS__)
#define __shfl_up_sync(mask, var, d, ...) \
    ::jgan_host::shfl_up_impl(mask, var, d, __FILE__, __LINE__, ##__VA_ARGS__)
#define __ballot_sync(mask, pred) ::jgan_host::ballot_impl(mask, pred, __FILE__, __LINE__)
#define __any_sync(mask, pred) (::jgan_host::ballot_impl(mask, pred, __FILE__, __LINE__) != 0u)
#define __all_sync(mask, pred) \
    (::jgan_host::ballot_impl(mask, pred, __FILE__, __LINE__) == (unsigned)(mask))

namespace jgan_host {
template <class T>
inline T shfl_sync_impl(unsigned mask, T var, int src, const char* f, int l, int width = 32) {
    return shfl(mask, var, shfl_source(lane_id(), src, width), width, "__shfl_sync", f, l);
}
template <class T>
inline T shfl_xor_impl(unsigned mask, T var, int lane_mask, const char* f, int l, int width = 32) {
    int lane = (int)lane_id();
    int src = lane ^ lane_mask;
    // CUDA: a lane may read earlier segments but reading a later one returns its own value.
    int seg_end = (lane & ~(width - 1)) + width;
    return shfl(mask, var, src >= seg_end ? -1 : src, width, "__shfl_xor_sync", f, l);
}
template <class T>
inline T shfl_down_impl(unsigned mask, T var, unsigned delta, const char* f, int l, int width = 32) {
    int lane = (int)lane_id();
    int seg_end = (lane & ~(width - 1)) + width;
    int src = lane + (int)delta;
    return shfl(mask, var, src >= seg_end ? -1 : src, width, "__shfl_down_sync", f, l);
}
template <class T>
inline T shfl_up_impl(unsigned mask, T var, unsigned delta, const char* f, int l, int width = 32) {
    int lane = (int)lane_id();
    int seg_begin = lane & ~(width - 1);
    int src = lane - (int)delta;
    return shfl(mask, var, src < seg_begin ? -1 : src, width, "__shfl_up_sync", f, l);
}
inline unsigned ballot_impl(unsigned mask, int pred, const char* f, int l) {
    const uint64_t* all = warp_collective(mask, pred ? 1u : 0u, "__ballot_sync", f, l);
    unsigned r = 0;
    for (int i = 0; i < 32; ++i) {
        if ((mask >> i) & 1u) r |= (all[i] ? 1u : 0u) << i;
    }
    return r;
}
}  // namespace jgan_host

// ---- atomics (global and shared memory; blocks run in parallel, so these are real atomics) ----
template <class T>
inline T atomicAdd(T* p, T v) {
    if constexpr (std::is_floating_point<T>::value) {
        T old, desired;
        __atomic_load(p, &old, __ATOMIC_RELAXED);
        do {
            desired = old + v;
        } while (!__atomic_compare_exchange(p, &old, &desired, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
        return old;
    } else {
        return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
    }
}
template <class T>
inline T atomicSub(T* p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }
template <class T>
inline T atomicExch(T* p, T v) {
    T old;
    __atomic_exchange(p, &v, &old, __ATOMIC_SEQ_CST);
    return old;
}
template <class T>
inline T atomicCAS(T* p, T compare, T v) {
    __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return compare;
}
template <class T>
inline T atomicMax(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <class T>
inline T atomicMin(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old > v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return old;
}
// CUDA's atomicInc: ((old >= limit) ? 0 : old + 1).
inline unsigned atomicInc(unsigned* p, unsigned limit) {
    unsigned old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(p, &old, old >= limit ? 0u : old + 1u, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
    }
    return old;
}
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- math and bit intrinsics ------------------------------------------------------------------
template <class T>
inline T __ldg(const T* p) { return *p; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline int __float_as_int(float x) { int i; memcpy(&i, &x, 4); return i; }
inline unsigned __float_as_uint(float x) { unsigned i; memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; memcpy(&x, &i, 4); return x; }
inline float __uint_as_float(unsigned i) { float x; memcpy(&x, &i, 4); return x; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(unsigned x) { return x ? __builtin_clz(x) : 32; }
inline int __ffs(unsigned x) { return __builtin_ffs((int)x); }
inline unsigned __brev(unsigned x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
    return (x >> 16) | (x << 16);
}
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }

#include "host_wmma.h"
