# Sourced by run.sh and step.sh (and shipped beside them in the bundle by build-bundle.sh): finds
# the GPU bundle and sets what both run it with. Needs die() defined and HERE and OUT set.
#
#   open_bundle <mktemp name> <file marking an unpacked bundle in $HERE> [<bundle dir to use as is>]
#
# Sets WORK (a temporary folder removed on exit), B (the unpacked bundle: the given dir, else $HERE
# when it holds jre/bin/java and the marker, else $JGAN_BUNDLE or bundle/jgan-gpu-bundle.tar.gz
# unpacked into WORK), JAVA, JVM_OPTS (temporary files in WORK, hs_err logs in OUT, plus
# $JGAN_JAVA_OPTS) and CP (jgan.jar and lib/*).
open_bundle() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")" || die "mktemp failed"
    trap 'rm -rf "$WORK"' EXIT
    if [ -n "${3:-}" ]; then
        B="$3"
    elif [ -x "$HERE/jre/bin/java" ] && [ -f "$HERE/$2" ]; then
        B="$HERE"
    else
        TARBALL="${JGAN_BUNDLE:-$HERE/bundle/jgan-gpu-bundle.tar.gz}"
        [ -f "$TARBALL" ] || die "no bundle at $TARBALL: build it with bench/gpu/build-bundle.sh (and carry it: it is git-ignored)"
        tar -xzf "$TARBALL" -C "$WORK" || die "cannot unpack $TARBALL"
        B="$WORK/jgan-gpu"
    fi
    JAVA="$B/jre/bin/java"
    mkdir -p "$WORK/tmp"
    JVM_OPTS=(-Djava.io.tmpdir="$WORK/tmp" "-XX:ErrorFile=$OUT/hs_err_pid%p.log")
    # shellcheck disable=SC2206 # word splitting of the user's options is intended
    [ -n "${JGAN_JAVA_OPTS:-}" ] && JVM_OPTS+=($JGAN_JAVA_OPTS)
    CP="$B/jgan.jar:$B/lib/*"
}
