#!/usr/bin/env bash
# build.sh RESOURCE_DIR BUILD_DIR — compiles every kernels/*.cu with nvcc into one fatbin:
# machine code for sm_75, sm_80, sm_86, sm_89, sm_90, sm_100 and sm_120, plus PTX for
# compute_120 (so newer GPUs can JIT it). Prints ptxas's registers/spills per kernel and
# architecture, and fails if a kernel spills. Without nvcc it says so and builds nothing:
# the GPU path then reports "kernels not built".
set -euo pipefail
res="$1"; build="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$res" "$build"
bash "$here/gen_unity.sh" "$build/jgan_kernels_all.cu"
cp "$build/kernels.txt" "$res/kernels.txt"

# NVCC=none builds without GPU kernels even where nvcc exists (to check that path).
NVCC="${NVCC:-$(command -v nvcc || true)}"
if [ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ]; then NVCC=/usr/local/cuda/bin/nvcc; fi
if [ "$NVCC" = none ]; then NVCC=""; fi
if [ -z "$NVCC" ]; then
  echo "[jgan kernels] nvcc not found: building WITHOUT GPU kernels (install the CUDA toolkit for them)."
  rm -f "$res/kernels.fatbin"
  exit 0
fi

fatbin="$res/kernels.fatbin"
report="$build/ptxas-report.txt"
newest_src=$(ls -t "$here"/*.cu "$here"/*.cuh "$here"/build.sh "$build/jgan_kernels_all.cu" | head -1)
if [ -f "$build/kernels.fatbin" ] && [ "$build/kernels.fatbin" -nt "$newest_src" ]; then
  echo "[jgan kernels] fatbin up to date ($(wc -c < "$build/kernels.fatbin") bytes)"
else
  archs=(75 80 86 89 90 100 120)
  gencode=()
  for a in "${archs[@]}"; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); done
  gencode+=(-gencode "arch=compute_120,code=compute_120")
  echo "[jgan kernels] $("$NVCC" --version | tail -2 | head -1)"
  echo "[jgan kernels] nvcc -fatbin for sm_${archs[*]} + PTX compute_120"
  "$NVCC" -fatbin -std=c++17 -O3 -I"$here" "${gencode[@]}" --threads 0 -Xptxas -v \
    -o "$build/kernels.fatbin" "$build/jgan_kernels_all.cu" > "$report" 2>&1 || { cat "$report"; exit 1; }
fi
# One line per kernel and architecture: registers, static shared memory, stack, spills (every build, so it stays visible).
awk '
  /Compiling entry function/ { split($0, q, "\047"); k = q[2]; a = q[4] }
  /bytes stack frame/ { stack = $1; st = $5; ld = $9 }
  /Used [0-9]+ registers/ {
    smem = 0
    for (i = 1; i <= NF; i++) { if ($i == "Used") r = $(i + 1); if ($i == "smem" || $i == "smem,") smem = $(i - 2) }
    printf "[jgan kernels]   %-40s %-7s %3d regs, %6d B static shared, stack %3s B, spill stores %s B, loads %s B\n", k, a, r, smem, stack, st, ld
  }' "$report" | sort -k3,3 -k4,4V
if grep -E '[1-9][0-9]* bytes spill (stores|loads)' "$report" >/dev/null; then
  echo "[jgan kernels] ERROR: a kernel spills registers (see above); shipped kernels must not spill." >&2
  exit 1
fi
cp "$build/kernels.fatbin" "$fatbin"
echo "[jgan kernels] wrote $fatbin ($(wc -c < "$fatbin") bytes)"
