#!/usr/bin/env bash
# sgemm GFLOP/s on DCGAN-28's GEMMs: the cpu device's BLAS (bundled OpenBLAS, 1 thread per call)
# against netlib's Java BLAS, one call and blocked over the device's threads.
# Usage: bench/cpu/gemm.sh [threads] [batch]    (from anywhere; builds the test classes first)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
NVCC=${NVCC:-none} mvn -B -q test-compile >/dev/null
cp="$(cd java && mvn -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
exec java -Djava.util.logging.config.file=/dev/null -cp "java/target/test-classes:java/target/classes:$cp" jgan.cpu.GemmBench "$@"
