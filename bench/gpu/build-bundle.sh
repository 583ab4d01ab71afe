#!/usr/bin/env bash
# Builds the GPU bundle: one tarball with everything a machine without Java or Maven needs to
# run jgan's whole test suite (and `jgan info`) on its GPU. See bench/gpu/README.md.
#
#   bash bench/gpu/build-bundle.sh [--no-build]
#
# --no-build: use what java/target already holds instead of running `mvn package` first.
# Output: bench/gpu/bundle/jgan-gpu-bundle.tar.gz (git-ignored), and the unpacked tree beside it.
set -euo pipefail

BUILD=1
for arg in "$@"; do
    case "$arg" in
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "build-bundle.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JDK="${JGAN_BUNDLE_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}"
# What the tests and the console launcher use, checked with jdeps and a real run. jdk.zipfs is
# what jdeps cannot see: --scan-class-path opens the tests jar as a zip file system ("Provider
# \"jar\" not found" and 0 tests without it). java.sql, which jdeps names, serves only the shaded
# CSV parser's JDBC helpers, which no test touches. java.desktop is XChart's (RUN/samples.png;
# ~6.8 MB more as tar.gz): without a font on the GPU machine the plot is skipped with a warning,
# the run itself is complete.
MODULES="java.base,jdk.unsupported,java.logging,java.management,java.xml,jdk.zipfs,java.desktop"
OUTDIR="$HERE/bundle"
NAME="jgan-gpu"
TARBALL="$OUTDIR/jgan-gpu-bundle.tar.gz"

say() { echo "build-bundle: $*"; }

[ -x "$JDK/bin/jlink" ] || { echo "build-bundle: no jlink in $JDK (set JGAN_BUNDLE_JDK to a JDK 17)" >&2; exit 1; }
"$JDK/bin/java" -version 2>&1 | head -1 | grep -q '"17\.' \
    || { echo "build-bundle: $JDK is not a JDK 17" >&2; exit 1; }

if [ "$BUILD" = 1 ]; then
    say "mvn -B -q -DskipTests package"
    (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package) 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
fi

# The project's versions, from the parent pom (no Maven evaluation needed).
pom_property() {
    sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/pom.xml" | head -1
}
PROJECT_VERSION="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml")"
JUNIT_PLATFORM="$(pom_property junit.platform.version)"
[ -n "$PROJECT_VERSION" ] && [ -n "$JUNIT_PLATFORM" ] \
    || { echo "build-bundle: cannot read the versions from $ROOT/pom.xml" >&2; exit 1; }

TARGET="$ROOT/java/target"
MAIN_JAR="$TARGET/jgan-$PROJECT_VERSION.jar"
TESTS_JAR="$TARGET/jgan-$PROJECT_VERSION-tests.jar"
for f in "$MAIN_JAR" "$TESTS_JAR"; do
    [ -f "$f" ] || { echo "build-bundle: $f is missing (build first, or drop --no-build)" >&2; exit 1; }
done
compgen -G "$TARGET/lib/*.jar" >/dev/null || { echo "build-bundle: no runtime jars in $TARGET/lib" >&2; exit 1; }
MAIN_ENTRIES="$(unzip -Z1 "$MAIN_JAR")"
grep -qx 'jgan/native/linux-x86_64/libjgan_host.so' <<<"$MAIN_ENTRIES" \
    || say "WARNING: $MAIN_JAR has no host runtime (libjgan_host.so): host tests will skip"
grep -qx 'jgan/kernels.fatbin' <<<"$MAIN_ENTRIES" \
    || say "WARNING: $MAIN_JAR has no kernels.fatbin (nvcc missing at build time): CUDA tests will skip"

rm -rf "$OUTDIR"
STAGE="$OUTDIR/$NAME"
mkdir -p "$STAGE/lib"

# 1. The Java runtime. --compress=0, not 2: jlink's per-entry zip compression hides the redundancy
#    that gzip finds over the whole tarball (measured: JRE 18.6 MB as .tar.gz with 0, 22.5 MB with 2;
#    unpacked 57 MB instead of 40 MB, which only the GPU machine's temp dir sees).
say "jlink $MODULES"
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=0 \
    --output "$STAGE/jre"

# 2. jgan, its tests, its runtime dependencies (with JCuda's 24 MB PTX-compiler binding dropped:
#    jgan loads fatbins through the driver API and never uses nvPTXCompiler).
cp "$MAIN_JAR" "$STAGE/jgan.jar"
cp "$TESTS_JAR" "$STAGE/jgan-tests.jar"
for jar in "$TARGET"/lib/*.jar; do
    cp "$jar" "$STAGE/lib/"
done
#    Likewise OpenBLAS's JNI bindings with LAPACK (jniopenblas, jniopenblas_full: 48 MB) and its
#    headers: the cpu device loads only openblas_nolapack (jgan.cpu.CpuBlas).
for jar in "$STAGE"/lib/jcuda-natives-*.jar "$STAGE"/lib/openblas-*-linux-x86_64.jar; do
    [ -f "$jar" ] || continue
    python3 - "$jar" <<'PY'
import os, sys, zipfile
path = sys.argv[1]
def drop(n):
    base = os.path.basename(n)
    return ("NvPTXCompiler" in n                       # libJNvPTXCompiler-<ver>-<os>-<arch>.so
            or base in ("libjniopenblas.so", "libjniopenblas_full.so")
            or "/openblas/linux-x86_64/include/" in n)
tmp = path + ".tmp"
with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        if drop(info.filename):
            print(f"build-bundle: dropped {info.filename} ({info.file_size:,} bytes) from {os.path.basename(path)}")
            continue
        dst.writestr(info, src.read(info.filename))
os.replace(tmp, path)
PY
done

# 3. JUnit's console launcher (it carries the Jupiter engine and params), the project's version.
say "junit-platform-console-standalone $JUNIT_PLATFORM"
if ! MVN_LOG="$(mvn -B -q -Dstyle.color=never dependency:copy \
        -Dartifact="org.junit.platform:junit-platform-console-standalone:$JUNIT_PLATFORM" \
        -DoutputDirectory="$STAGE/junit" 2>&1)"; then
    printf '%s\n' "$MVN_LOG" >&2
    echo "build-bundle: could not fetch junit-platform-console-standalone $JUNIT_PLATFORM" >&2
    exit 1
fi
mv "$STAGE/junit/junit-platform-console-standalone-$JUNIT_PLATFORM.jar" "$STAGE/junit/console-standalone.jar"

# 4. The runner (bench/gpu/run.sh in the repo is the one used; this copy makes the tarball whole).
cp "$HERE/run.sh" "$HERE/bundle_env.sh" "$STAGE/"
cp "$HERE/step.sh" "$HERE/torch_step_gpu.py" "$HERE/step_summary.py" "$HERE/torch_models.py" "$HERE/conv_layers_torch.py" "$HERE/compare_layers.py" "$STAGE/"
{
    echo "jgan $PROJECT_VERSION GPU bundle"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "java: $("$STAGE/jre/bin/java" -version 2>&1 | head -1), modules $MODULES"
    echo "junit platform: $JUNIT_PLATFORM"
    echo "jars: $(cd "$STAGE" && ls jgan.jar jgan-tests.jar lib/*.jar | tr '\n' ' ')"
} > "$STAGE/BUNDLE.txt"

# A quick check that the runtime can start the launcher and load the classes before packing.
"$STAGE/jre/bin/java" -jar "$STAGE/junit/console-standalone.jar" --version >/dev/null 2>&1 \
    || { echo "build-bundle: the bundled JRE cannot run the console launcher" >&2; exit 1; }

say "packing $TARBALL"
tar -C "$OUTDIR" -cf - "$NAME" | gzip -9 > "$TARBALL"

BYTES=$(stat -c %s "$TARBALL")
say "unpacked: $(du -sh "$STAGE" | cut -f1)  ($(du -sh "$STAGE/jre" | cut -f1) of it the JRE)"
printf 'build-bundle: %s  %s bytes (%.1f MiB)\n' "$TARBALL" "$BYTES" "$(echo "$BYTES" | awk '{print $1/1048576}')"
