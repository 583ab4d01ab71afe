// jgan_portable.cuh — the one thing that differs between the nvcc build and the host build.
//
// Every kernel file includes this header and nothing else from CUDA. Under nvcc it adds
// almost nothing. Under the host build (g++ with -DJGAN_HOST) it pulls in native/'s CUDA
// semantics on the CPU: blocks, threads as fibers, shared memory, barriers, warp
// collectives, atomics and nvcuda::wmma.
//
// What kernels must use from here instead of plain CUDA spellings:
//   JGAN_DYNAMIC_SHARED(T, name)  declares the dynamic shared memory array `T* name`
//                                 (`extern __shared__` does not compile under g++).
//   JGAN_DEVICE_ONLY              defined only when compiling real device code
//                                 (`__CUDA_ARCH__` is undefined in the host build, so
//                                 guard device-only inline PTX with this, never with it).
#pragma once

#if defined(JGAN_HOST)
#  include "host_cuda.h"
#  define JGAN_DYNAMIC_SHARED(T, name) T* name = ::jgan_host::dynamic_shared<T>()
#else
#  include <stdint.h>
#  include <cuda_runtime.h>
#  include <mma.h>
#  include <cuda_fp16.h>
#  include <cuda_bf16.h>
#  if defined(__CUDA_ARCH__)
#    define JGAN_DEVICE_ONLY 1
#  endif
#  define JGAN_DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) unsigned char jgan_dynamic_smem_[]; \
                                       T* name = reinterpret_cast<T*>(jgan_dynamic_smem_)
#endif

// Tensor-core wmma for tf32 and bf16 needs sm_80 or newer (half needs sm_70, which nvcc 13 no
// longer targets). Kernels guard their wmma code with this; the host runtime models all three.
#if defined(JGAN_HOST) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800)
#  define JGAN_HAS_WMMA_TF32_BF16 1
#endif

// Every entry point is `JGAN_KERNEL void name(...)`: extern "C" keeps the symbol name stable
// for cuModuleGetFunction and for the host runtime's registry.
#define JGAN_KERNEL extern "C" __global__

// Full warp mask, for readability.
#define JGAN_FULL_MASK 0xffffffffu
