// jni.cpp — the JNI face of the host runtime: jgan.device.HostRuntime's native methods.
#include <jni.h>
#include <string.h>

#include <string>
#include <vector>

#include "host_cuda.h"
#include "runtime.h"

using namespace jgan_host;

namespace {

void throw_java(JNIEnv* env, const char* cls, const std::string& msg) {
    jclass c = env->FindClass(cls);
    if (c) env->ThrowNew(c, msg.c_str());
}

// Host arrays are copied into device memory only within a live buffer: a wrong address from
// Java would otherwise corrupt the JVM's own heap.
bool check_range(JNIEnv* env, jlong address, jlong bytes, const char* what) {
    if (bytes < 0 || !is_device_range((const void*)(uintptr_t)address, (size_t)bytes)) {
        throw_java(env, "java/lang/IllegalArgumentException",
                   std::string(what) + ": [0x" + std::to_string((unsigned long long)address) + " + " + std::to_string(bytes) +
                       " bytes) is not inside one live host-runtime buffer");
        return false;
    }
    return true;
}

template <class JArray, class Elem>
void copy_in(JNIEnv* env, JArray src, jint off, jlong dst, jint count, const char* what) {
    if (!check_range(env, dst, (jlong)count * (jlong)sizeof(Elem), what)) return;
    if constexpr (std::is_same<Elem, jfloat>::value)
        env->GetFloatArrayRegion((jfloatArray)src, off, count, (jfloat*)(uintptr_t)dst);
    else
        env->GetIntArrayRegion((jintArray)src, off, count, (jint*)(uintptr_t)dst);
}

template <class JArray, class Elem>
void copy_out(JNIEnv* env, jlong src, JArray dst, jint off, jint count, const char* what) {
    if (!check_range(env, src, (jlong)count * (jlong)sizeof(Elem), what)) return;
    if constexpr (std::is_same<Elem, jfloat>::value)
        env->SetFloatArrayRegion((jfloatArray)dst, off, count, (const jfloat*)(uintptr_t)src);
    else
        env->SetIntArrayRegion((jintArray)dst, off, count, (const jint*)(uintptr_t)src);
}

}  // namespace

extern "C" {

JNIEXPORT jobjectArray JNICALL Java_jgan_device_HostRuntime_kernelNames(JNIEnv* env, jclass) {
    auto& r = kernel_registry();
    jobjectArray out = env->NewObjectArray((jsize)r.size(), env->FindClass("java/lang/String"), nullptr);
    for (size_t i = 0; i < r.size(); ++i) env->SetObjectArrayElement(out, (jsize)i, env->NewStringUTF(r[i].name.c_str()));
    return out;
}

JNIEXPORT jlong JNICALL Java_jgan_device_HostRuntime_kernelHandle(JNIEnv* env, jclass, jstring name) {
    const char* n = env->GetStringUTFChars(name, nullptr);
    const KernelInfo* k = find_kernel(n);
    env->ReleaseStringUTFChars(name, n);
    return (jlong)(uintptr_t)k;
}

JNIEXPORT jstring JNICALL Java_jgan_device_HostRuntime_kernelSignature(JNIEnv* env, jclass, jlong handle) {
    const KernelInfo* k = (const KernelInfo*)(uintptr_t)handle;
    return env->NewStringUTF(k->kinds.c_str());
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_launch(JNIEnv* env, jclass, jlong handle, jint gx, jint gy, jint gz,
                                                           jint bx, jint by, jint bz, jint shared_bytes, jlongArray args,
                                                           jstring kinds) {
    const KernelInfo* k = (const KernelInfo*)(uintptr_t)handle;
    jsize n = env->GetArrayLength(args);
    std::vector<uint64_t> a(n);
    env->GetLongArrayRegion(args, 0, n, (jlong*)a.data());
    const char* kc = env->GetStringUTFChars(kinds, nullptr);
    std::string kind_codes(kc);
    env->ReleaseStringUTFChars(kinds, kc);
    if ((jsize)kind_codes.size() != n) {
        throw_java(env, "java/lang/IllegalArgumentException", "argument kinds and values differ in count");
        return;
    }
    std::string err = launch(*k, dim3((unsigned)gx, (unsigned)gy, (unsigned)gz), dim3((unsigned)bx, (unsigned)by, (unsigned)bz),
                             (size_t)shared_bytes, a.data(), kind_codes.c_str(), (int)n);
    if (!err.empty()) throw_java(env, "jgan/device/KernelException", err);
}

JNIEXPORT jlong JNICALL Java_jgan_device_HostRuntime_allocate(JNIEnv*, jclass, jlong bytes) {
    return (jlong)(uintptr_t)allocate((size_t)bytes);
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_free(JNIEnv* env, jclass, jlong address) {
    if (!release((void*)(uintptr_t)address))
        throw_java(env, "java/lang/IllegalArgumentException", "free of an address that is not a live host-runtime buffer");
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_copyFloatsIn(JNIEnv* env, jclass, jfloatArray src, jint off, jlong dst,
                                                                 jint count) {
    copy_in<jfloatArray, jfloat>(env, src, off, dst, count, "copy to device");
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_copyFloatsOut(JNIEnv* env, jclass, jlong src, jfloatArray dst, jint off,
                                                                  jint count) {
    copy_out<jfloatArray, jfloat>(env, src, dst, off, count, "copy to host");
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_copyIntsIn(JNIEnv* env, jclass, jintArray src, jint off, jlong dst,
                                                               jint count) {
    copy_in<jintArray, jint>(env, src, off, dst, count, "copy to device");
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_copyIntsOut(JNIEnv* env, jclass, jlong src, jintArray dst, jint off,
                                                                jint count) {
    copy_out<jintArray, jint>(env, src, dst, off, count, "copy to host");
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_copy(JNIEnv* env, jclass, jlong src, jlong dst, jlong bytes) {
    if (!check_range(env, src, bytes, "device copy source") || !check_range(env, dst, bytes, "device copy destination")) return;
    memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, (size_t)bytes);
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_fill32(JNIEnv* env, jclass, jlong dst, jlong count, jint bits) {
    if (!check_range(env, dst, count * 4, "fill")) return;
    uint32_t* p = (uint32_t*)(uintptr_t)dst;
    for (jlong i = 0; i < count; ++i) p[i] = (uint32_t)bits;
}

JNIEXPORT jlong JNICALL Java_jgan_device_HostRuntime_allocatedBytes(JNIEnv*, jclass) { return (jlong)allocated_bytes(); }

JNIEXPORT jint JNICALL Java_jgan_device_HostRuntime_workerCount(JNIEnv*, jclass) { return (jint)worker_count(); }

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_setWorkerCount(JNIEnv*, jclass, jint n) { set_worker_count((unsigned)n); }

JNIEXPORT jdouble JNICALL Java_jgan_device_HostRuntime_launchTimeoutSeconds(JNIEnv*, jclass) { return launch_timeout(); }

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_setLaunchTimeoutSeconds(JNIEnv*, jclass, jdouble s) {
    set_launch_timeout(s);
}

JNIEXPORT jstring JNICALL Java_jgan_device_HostRuntime_schedule(JNIEnv* env, jclass) {
    return env->NewStringUTF(schedule().c_str());
}

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_setSchedule(JNIEnv* env, jclass, jstring text) {
    const char* t = env->GetStringUTFChars(text, nullptr);
    std::string s(t);
    env->ReleaseStringUTFChars(text, t);
    if (!set_schedule(s))
        throw_java(env, "java/lang/IllegalArgumentException",
                   "host runtime schedule '" + s + "': expected round-robin or shuffle:SEED (SEED an unsigned integer)");
}

JNIEXPORT jboolean JNICALL Java_jgan_device_HostRuntime_raceCheckBuilt(JNIEnv*, jclass) { return race_check_built(); }

JNIEXPORT jboolean JNICALL Java_jgan_device_HostRuntime_raceCheck(JNIEnv*, jclass) { return race_check(); }

JNIEXPORT void JNICALL Java_jgan_device_HostRuntime_setRaceCheck(JNIEnv* env, jclass, jboolean on) {
    if (!set_race_check(on))
        throw_java(env, "java/lang/IllegalStateException",
                   "this build of the host runtime has no race check (build it with native/build.sh racecheck and load it with "
                   "-Djgan.host.library=PATH)");
}

}  // extern "C"
