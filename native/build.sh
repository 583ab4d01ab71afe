#!/usr/bin/env bash
# build.sh MODE OUT_DIR BUILD_DIR JAVA_HOME — builds the host runtime, libjgan_host.so: the
# runtime (fibers, scheduler, memory, checks), its JNI glue, and every kernels/*.cu compiled as
# C++ by g++ with -DJGAN_HOST. MODE is `release`, `sanitize` (AddressSanitizer + UBSan, for
# the sanitizer test run) or `racecheck` (the kernels instrumented by GCC's -fsanitize=thread,
# whose calls the runtime itself answers with its shared-memory race check: see runtime.cpp;
# for the race-check test run).
set -euo pipefail
mode="$1"; out="$2"; build="$3"; java_home="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kernels="$here/../kernels"
mkdir -p "$out" "$build"
bash "$kernels/gen_unity.sh" "$build/jgan_kernels_all.cu"

CXX="${CXX:-g++}"
# -march=x86-64-v3: AVX2 and FMA, or fmaf becomes a library call. gnu++17 and fp-contract=fast
# contract a*b+c into FMA as nvcc does by default.
# -fstack-clash-protection: a frame larger than a page is probed page by page, so a kernel with
# big local arrays hits its fiber's guard page instead of writing over a neighbouring stack.
flags=(-std=gnu++17 -fPIC -shared -pthread -march=x86-64-v3 -ffp-contract=fast -fstack-clash-protection -DJGAN_HOST
       -Wall -Wno-unused-function
       -I"$here/include" -I"$kernels" -I"$java_home/include" -I"$java_home/include/linux")
case "$mode" in
  release)  flags+=(-O2) ;;
  sanitize) flags+=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all) ;;
  racecheck) flags+=(-O2 -g1 -DJGAN_RACECHECK=1 -Wno-tsan) ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
lib="$build/libjgan_host.so"
newest_src=$(ls -t "$here"/include/*.h "$here"/src/*.cpp "$here"/build.sh "$kernels"/*.cu "$kernels"/*.cuh "$build/jgan_kernels_all.cu" | head -1)
if [ -f "$lib" ] && [ "$lib" -nt "$newest_src" ]; then
  echo "[jgan host runtime/$mode] up to date"
else
  if [ ! -f "$java_home/include/jni.h" ]; then
    echo "[jgan host runtime] no jni.h under $java_home/include: a JDK (not a JRE) is needed" >&2; exit 1
  fi
  echo "[jgan host runtime/$mode] $CXX $(${CXX} -dumpfullversion)"
  if [ "$mode" = racecheck ]; then
    # Only the kernels are instrumented, and no sanitizer library is linked: the runtime
    # defines the __tsan_* entry points. Function entry/exit hooks are not wanted.
    "$CXX" "${flags[@]}" -fsanitize=thread --param tsan-instrument-func-entry-exit=0 -c -o "$build/kernels.o" \
      -x c++ "$build/jgan_kernels_all.cu"
    "$CXX" "${flags[@]}" -o "$lib.tmp" "$build/kernels.o" "$here"/src/*.cpp
    if nm -u "$lib.tmp" | grep -q __tsan_; then
      echo "[jgan host runtime/racecheck] instrumentation calls that runtime.cpp does not define:" >&2
      nm -u "$lib.tmp" | grep __tsan_ >&2; exit 1
    fi
  else
    "$CXX" "${flags[@]}" -o "$lib.tmp" -x c++ "$build/jgan_kernels_all.cu" -x none "$here"/src/*.cpp
  fi
  mv "$lib.tmp" "$lib"
fi
cp "$lib" "$out/libjgan_host.so"
echo "[jgan host runtime/$mode] wrote $out/libjgan_host.so ($(wc -c < "$out/libjgan_host.so") bytes)"
