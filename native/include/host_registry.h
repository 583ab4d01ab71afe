// host_registry.h — how the host runtime finds kernels by name and checks their arguments.
//
// The build generates one translation unit that includes every kernels/*.cu and, for each
// `JGAN_KERNEL void name(` it finds, a JGAN_HOST_REGISTER(name). The registrar deduces the
// kernel's real C++ signature, so the runtime can refuse a launch whose argument count, kinds
// or sizes differ from it before any thread runs.
#pragma once

#include <stdint.h>
#include <string.h>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace jgan_host {

using Invoker = void (*)(void* fn, const uint64_t* args);

struct KernelInfo {
    std::string name;
    void* fn;
    Invoker invoke;
    std::string kinds;        // one code per parameter: p pointer, i 32-bit int, f float, l 64-bit int, d double
    std::vector<int> sizes;   // bytes per parameter
};

std::vector<KernelInfo>& kernel_registry();

template <class T>
constexpr char kind_code() {
    if (std::is_pointer<T>::value) return 'p';
    if (std::is_same<T, float>::value) return 'f';
    if (std::is_same<T, double>::value) return 'd';
    if (std::is_integral<T>::value && sizeof(T) == 4) return 'i';
    if (std::is_integral<T>::value && sizeof(T) == 8) return 'l';
    return '?';
}

template <class T>
inline T unpack_arg(uint64_t bits) {
    static_assert(sizeof(T) <= 8, "kernel parameters of more than 8 bytes are not supported");
    T v;
    memcpy(&v, &bits, sizeof(T));  // little-endian: a 4-byte value sits in the low half
    return v;
}

template <class... A>
struct Signature {
    template <size_t... I>
    static void call(void (*f)(A...), const uint64_t* s, std::index_sequence<I...>) {
        f(unpack_arg<A>(s[I])...);
    }
    static void invoke(void* fn, const uint64_t* slots) {
        call(reinterpret_cast<void (*)(A...)>(fn), slots, std::index_sequence_for<A...>{});
    }
};

struct Registrar {
    template <class... A>
    Registrar(const char* name, void (*fn)(A...)) {
        KernelInfo k;
        k.name = name;
        k.fn = reinterpret_cast<void*>(fn);
        k.invoke = &Signature<A...>::invoke;
        k.kinds = std::string{kind_code<A>()...};
        k.sizes = std::vector<int>{(int)sizeof(A)...};
        kernel_registry().push_back(std::move(k));
    }
};

}  // namespace jgan_host

#define JGAN_HOST_REGISTER(fn) static ::jgan_host::Registrar jgan_host_registrar_##fn(#fn, &fn);
