#!/usr/bin/env bash
# Runs jgan's whole test suite (host runtime and CUDA) on a machine with a GPU but no Java or
# Maven, from the bundle that bench/gpu/build-bundle.sh made. Run from the repo root:
#
#   bash bench/gpu/run.sh OUT_DIR [extra JUnit console launcher options]
#
# It records nvidia-smi and nvcc --version, runs `jgan info` and the JUnit suite with the bundled
# JRE, and prints last a table of passed / failed / skipped per test class and device. Exits 1 if a
# test failed (or the run did not finish), 3 if the bundle cannot be used.
# Only reads the GPU's state: no settings are changed. Needs bash, tar, gzip, python3, mktemp.
#
# Files in OUT_DIR: report.txt (everything printed), summary.txt (the table), junit.log (the full
# launcher output, tree of tests with reasons and stack traces), junit/ (JUnit XML), jgan-info.txt,
# nvidia-smi.txt, nvcc.txt, env.txt, and hs_err_pid*.log if the JVM crashed; step.sh's files (the
# DCGAN-64 step against PyTorch and the per-layer microbenchmark: step.txt, layers-*.txt, ...).
#
# Environment: JGAN_BUNDLE (the tarball; default bench/gpu/bundle/jgan-gpu-bundle.tar.gz beside
# this script), JGAN_JAVA_OPTS (extra JVM options, e.g. -Djgan.devices=cuda), JGAN_TEST_TIMEOUT
# (seconds for the suite, default 400; then a thread dump goes to junit.log and the JVM is killed),
# JGAN_STEP (0: skip step.sh), JGAN_RUN_BUDGET (seconds from the start that step.sh may use up to, 540).
set -uo pipefail

if [ $# -lt 1 ] || [ -z "$1" ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,18p' "$0" >&2
    exit 2
fi
START=$(date +%s)
mkdir -p "$1" || exit 3
OUT="$(cd "$1" && pwd)"
shift
rm -rf "$OUT/junit" "$OUT/report.txt" "$OUT/summary.txt"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPORT="$OUT/report.txt"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
die() { say "run.sh: $*"; exit 3; }

# ---- the bundle: this script's own directory when run from an unpacked bundle, else the tarball ----
# shellcheck source=bundle_env.sh
. "$HERE/bundle_env.sh"
open_bundle jgan-gpu jgan-tests.jar

# ---- the machine ----
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -n) $(uname -srm)"
    echo "libc: $(ldd --version 2>&1 | head -1)"
    echo "cpus: $(nproc 2>/dev/null || echo '?')"
    echo "python3: $(python3 --version 2>&1)"
    echo "bundled java: $("$JAVA" -version 2>&1 | head -2 | tail -1)"
    echo "--- bundle ---"
    cat "$B/BUNDLE.txt" 2>/dev/null
} > "$OUT/env.txt" 2>&1

GPU="no GPU (nvidia-smi not found)"
if command -v nvidia-smi >/dev/null 2>&1; then
    { nvidia-smi; echo; nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap,clocks.max.sm,power.limit --format=csv; } \
        > "$OUT/nvidia-smi.txt" 2>&1
    GPU="$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null | head -1)"
    [ -n "$GPU" ] || GPU="nvidia-smi failed (see nvidia-smi.txt)"
else
    echo "nvidia-smi: not found" > "$OUT/nvidia-smi.txt"
fi
NVCC="$(command -v nvcc 2>/dev/null || true)"
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
if [ -n "$NVCC" ]; then
    "$NVCC" --version > "$OUT/nvcc.txt" 2>&1
    NVCC_VERSION="$(grep -o 'release [0-9.]*, V[0-9.]*' "$OUT/nvcc.txt" | head -1)"
else
    echo "nvcc: not found" > "$OUT/nvcc.txt"
    NVCC_VERSION="not found"
fi
say "== jgan GPU run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
say "GPU: $GPU"
say "nvcc: $NVCC_VERSION"
say "bundle: $(sed -n 's/^commit: //p' "$B/BUNDLE.txt" 2>/dev/null)"
SLUG="$(printf '%s' "${GPU%%,*}" | sed 's/^NVIDIA //; s/nvidia-smi.*//; s/no GPU.*/nogpu/' | tr 'A-Z' 'a-z' | tr -cs 'a-z0-9' '-' | sed 's/^-//; s/-$//')"
say "to keep: commit $OUT/report.txt as bench/results/$(date -u +%Y-%m-%d)-${SLUG:-gpu}.txt"

if ! "$JAVA" -version >/dev/null 2>&1; then
    say "run.sh: the bundled Java runtime does not start here:"
    "$JAVA" -version 2>&1 | tee -a "$REPORT"
    ldd "$B/jre/lib/server/libjvm.so" 2>&1 | tee -a "$REPORT"
    exit 3
fi

# ---- jgan info ----
say ""
say "== jgan info"
if command -v timeout >/dev/null 2>&1; then T_INFO=(timeout -k 10 120); else T_INFO=(); fi
"${T_INFO[@]}" "$JAVA" "${JVM_OPTS[@]}" -cp "$CP" jgan.cli.Main info > "$OUT/jgan-info.txt" 2>&1
INFO_RC=$?
tee -a "$REPORT" < "$OUT/jgan-info.txt"
[ "$INFO_RC" = 0 ] || say "(jgan info exited $INFO_RC)"

# ---- the JUnit suite ----
SELECT=(--scan-class-path "$B/jgan-tests.jar")
for a in "$@"; do
    case "$a" in --select*|-[cmpdfuori]) SELECT=() ;; esac   # explicit selectors cannot be mixed with a scan
done
TIMEOUT="${JGAN_TEST_TIMEOUT:-400}"
if command -v timeout >/dev/null 2>&1; then
    # SIGQUIT first: the JVM prints every thread's stack into junit.log, then is killed.
    T_RUN=(timeout -s QUIT -k 20 "$TIMEOUT")
else
    T_RUN=()
fi
say ""
say "== JUnit (full log: junit.log)"
T0=$(date +%s)
"${T_RUN[@]}" "$JAVA" "${JVM_OPTS[@]}" -cp "$B/junit/console-standalone.jar:$B/jgan-tests.jar:$CP" \
    org.junit.platform.console.ConsoleLauncher execute \
    --disable-banner --disable-ansi-colors --details=tree --details-theme=ascii \
    --include-engine=junit-jupiter --fail-if-no-tests \
    --reports-dir "$OUT/junit" "${SELECT[@]}" "$@" > "$OUT/junit.log" 2>&1
JUNIT_RC=$?
T1=$(date +%s)
case "$JUNIT_RC" in
    0) say "launcher: exit 0 after $((T1 - T0)) s" ;;
    124|137) say "launcher: TIMED OUT after $((T1 - T0)) s (JGAN_TEST_TIMEOUT=$TIMEOUT); thread dump in junit.log" ;;
    *) say "launcher: exit $JUNIT_RC after $((T1 - T0)) s" ;;
esac
grep -E '^\[ +[0-9]+ (tests|containers) (found|successful|failed|aborted|skipped) +\]$' "$OUT/junit.log" \
    | sed 's/^/  /' | tee -a "$REPORT"
ls "$OUT"/hs_err_pid*.log >/dev/null 2>&1 && say "THE JVM CRASHED: $(ls "$OUT"/hs_err_pid*.log | tr '\n' ' ')"

# ---- the fused training step: graph replay vs plain launches, steps/s (only with a GPU) ----
if grep -q "^GPU: used" "$OUT/jgan-info.txt"; then
    say ""
    say "== jgan bench (fused adversarial step; full output: bench.txt)"
    for w in 128 512; do
        "${T_INFO[@]}" "$JAVA" "${JVM_OPTS[@]}" -cp "$CP" jgan.cli.Main bench --device gpu --steps 2000 --warmup 100 \
            --width "$w" --batch 256 >> "$OUT/bench.txt" 2>&1 || say "(jgan bench --width $w failed: see bench.txt)"
    done
    tee -a "$REPORT" < "$OUT/bench.txt"
fi

# ---- issue 10's step benchmark and the per-layer microbenchmark (bench/gpu/step.sh, in this same call) ----
# jgan's fused DCGAN-64 step (graph replay, plain launches) against PyTorch eager, CUDA graph and
# torch.compile, TF32 off and on, then jgan.bench.ConvLayers beside conv_layers_torch.py (every conv /
# convT / BN pass of DCGAN-64 against cuDNN). Its budget is what is left of JGAN_RUN_BUDGET (540 s from
# this script's start, so that run.sh stays within a 10-minute call), at least 120 s; torch.compile,
# last, is skipped when it does not fit. Without a GPU: step.sh's dry run (tiny sizes on the CPU).
# JGAN_STEP=0 skips it.
if [ "${JGAN_STEP:-1}" != 0 ]; then
    say ""
    STEP_BUDGET=$(( START + ${JGAN_RUN_BUDGET:-540} - $(date +%s) ))
    [ "$STEP_BUDGET" -lt 120 ] && STEP_BUDGET=120
    JGAN_BUNDLE_DIR="$B" JGAN_STEP_BUDGET="$STEP_BUDGET" bash "$HERE/step.sh" "$OUT" >/dev/null 2>&1 \
        || say "(step.sh exited $?: see step.txt)"
    tee -a "$REPORT" < "$OUT/step.txt"
fi

# ---- the table, last ----
say ""
python3 - "$OUT/junit" "$OUT/junit.log" "$JUNIT_RC" "$START" > "$OUT/summary.txt" <<'PY'
import collections, glob, os, re, sys, time
import xml.etree.ElementTree as ET

reports, log, launcher_rc, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
LABEL = re.compile(r"^\[([A-Za-z][\w:.-]*)\]")          # "[host] …", "[cuda] …"; not "[1] …"

def first_line(s):
    s = (s or "").strip()
    return s.splitlines()[0].strip() if s else ""

def reason(el):
    r = el.get("message") or first_line(el.text)
    for prefix in ("org.opentest4j.TestAbortedException: ", "org.opentest4j.TestSkippedException: ",
                   "Assumption failed: "):
        if r.startswith(prefix):
            r = r[len(prefix):]
    return r or "(no reason given)"

rows = collections.OrderedDict()   # (class, label) -> [passed, failed, skipped]
skips = collections.Counter()      # (reason) -> count
skip_labels = collections.defaultdict(set)
failures = []
files = sorted(glob.glob(os.path.join(reports, "*.xml")))
for f in files:
    try:
        root = ET.parse(f).getroot()
    except ET.ParseError as e:
        print(f"cannot read {f}: {e}")
        continue
    for tc in root.iter("testcase"):
        cls = tc.get("classname") or "?"
        display = tc.get("name") or "?"
        out = tc.findtext("system-out") or ""
        m = re.search(r"^display-name: (.*)$", out, re.M)
        if m:
            display = m.group(1).strip()
        lm = LABEL.match(display)
        label = f"[{lm.group(1)}]" if lm else "-"
        key = (cls[5:] if cls.startswith("jgan.") else cls, label)
        row = rows.setdefault(key, [0, 0, 0])
        bad = tc.find("failure")
        if bad is None:
            bad = tc.find("error")
        skipped = tc.find("skipped")
        if bad is not None:
            row[1] += 1
            failures.append((key[0], display, first_line(bad.get("message")) or first_line(bad.text)))
        elif skipped is not None:
            row[2] += 1
            r = reason(skipped)
            skips[r] += 1
            skip_labels[r].add(label)
        else:
            row[0] += 1

if not rows:
    print(f"NO TEST RESULTS: no JUnit XML under {reports} (launcher exit {launcher_rc}). Last lines of junit.log:")
    try:
        with open(log, errors="replace") as fh:
            print("".join(fh.readlines()[-40:]), end="")
    except OSError as e:
        print(f"  ({e})")
    print()
    print(f"RESULT: FAIL ({int(time.time()) - start} s)")
    sys.exit(1)

rows = sorted(rows.items(), key=lambda kv: (kv[0][0], {"[host]": 0, "[cuda]": 1, "-": 9}.get(kv[0][1], 5), kv[0][1]))
w = max(len("total"), max(len(k[0]) for k, _ in rows))
lw = max(6, max(len(k[1]) for k, _ in rows))
fmt = f"{{:<{w}}}  {{:<{lw}}}  {{:>6}}  {{:>6}}  {{:>7}}"
print(fmt.format("test class", "device", "passed", "failed", "skipped"))
print(fmt.format("-" * w, "-" * lw, "-" * 6, "-" * 6, "-" * 7))
prev = None
by_label = collections.OrderedDict()
for (cls, label), (p, f_, s) in rows:
    print(fmt.format(cls if cls != prev else "", label, p, f_, s))
    prev = cls
    t = by_label.setdefault(label, [0, 0, 0])
    t[0] += p; t[1] += f_; t[2] += s
print(fmt.format("-" * w, "-" * lw, "-" * 6, "-" * 6, "-" * 7))
order = sorted(by_label, key=lambda l: ({"[host]": 0, "[cuda]": 1, "-": 9}.get(l, 5), l))
for i, label in enumerate(order):
    print(fmt.format("by device" if i == 0 else "", label, *by_label[label]))
tp, tf, ts = (sum(v[i] for v in by_label.values()) for i in range(3))
print(fmt.format("total", "", tp, tf, ts))
if skips:
    print()
    print("skip reasons:")
    for r, n in skips.most_common():
        print(f"  {n:4d}  {' '.join(sorted(skip_labels[r]))}  {r}")
if failures:
    print()
    print("FAILED:")
    for cls, display, msg in failures:
        print(f"  {cls} {display}: {msg[:300]}")
if launcher_rc != 0 and tf == 0:
    print()
    print(f"the launcher exited {launcher_rc} although no test failed: see junit.log (a container failed, or the run timed out)")
ok = tf == 0 and launcher_rc == 0
print()
print(f"RESULT: {'PASS' if ok else 'FAIL'} ({int(time.time()) - start} s)")
sys.exit(0 if ok else 1)
PY
SUMMARY_RC=$?
if [ ! -s "$OUT/summary.txt" ]; then
    echo "run.sh: python3 could not summarise (exit $SUMMARY_RC); see junit.log" >> "$OUT/summary.txt"
    SUMMARY_RC=1
fi
tee -a "$REPORT" < "$OUT/summary.txt"
[ "$SUMMARY_RC" = 0 ] && [ "$JUNIT_RC" = 0 ]
exit $(( $? == 0 ? 0 : 1 ))
