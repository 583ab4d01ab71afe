#!/usr/bin/env bash
# Per-layer times of DCGAN-28 and DCGAN-64 (batch 64; bench/cpu/layers.txt) on jgan's cpu device
# against PyTorch's CPU convolutions on the same shapes (channels_last, FP32), both on the same
# number of threads. The two run alternately, ROUNDS times, in this one invocation (a jgan round,
# then a PyTorch round, ...); each round prints each pass's median of REPS timed calls after
# WARMUP, and the table gives, per pass, the median over the rounds.
#
# With BASELINE=<git revision>, each round also runs that revision's cpu ops (its
# java/src/main/java/jgan/cpu, compiled against this tree's classes) before jgan's, and the table
# gets a column of its times and the ratio new/baseline: a before/after comparison in one run.
#
# Usage: bench/cpu/layers.sh [OUT.txt]
#   env: BASELINE (a git revision, see above), LAYERS (bench/cpu/layers.txt; a file of some of its lines, e.g. only dcgan28), THREADS (2), ROUNDS (3), WARMUP (20: fewer measures the JIT compiling jgan's loops, see bench/results/2026-11-30-dcgan28-layers-before-after-cpu.txt), REPS (10), PYTHON (a python with torch; default: bench/peers/torch_venv.sh, which creates /tmp/torchvenv offline when missing)
# PyTorch, offline: python3 -m venv /tmp/torchvenv &&
#   PIP_INDEX_URL=<the first local index of 'pip config list'> /tmp/torchvenv/bin/pip install torch numpy
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-/dev/stdout}"
threads=${THREADS:-2}; rounds=${ROUNDS:-3}; warmup=${WARMUP:-20}; reps=${REPS:-10}
python=${PYTHON:-$(bench/peers/torch_venv.sh)}
layers=${LAYERS:-bench/cpu/layers.txt}
NVCC=${NVCC:-none} mvn -B -q test-compile >/dev/null
cp="$(cd java && mvn -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
raw="$(mktemp)"
base_dir="$(mktemp -d)"
trap 'rm -rf "$raw" "$base_dir"' EXIT
if [ -n "${BASELINE:-}" ]; then
  git archive "$BASELINE" java/src/main/java/jgan/cpu | tar -x -C "$base_dir"
  javac -nowarn -d "$base_dir/classes" -cp "java/target/classes:$cp" $(find "$base_dir/java" -name '*.java')
fi
{
  echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores visible; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# jgan: $(java -version 2>&1 | head -1); PyTorch $("$python" -c 'import torch; print(torch.__version__, "(", torch.backends.cpu.get_cpu_capability(), ")")' 2>/dev/null)"
  echo "# OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; $threads threads each; $rounds alternating rounds of (warm-up $warmup, median of $reps)"
  echo "# jgan: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- java/src/main/java/jgan/cpu || echo ' + uncommitted changes in jgan/cpu')${BASELINE:+; baseline ('base'): the cpu ops at $(git rev-parse --short "$BASELINE")}"
} > "$raw.head"
for ((i = 1; i <= rounds; i++)); do
  if [ -n "${BASELINE:-}" ]; then
    echo "layers.sh: round $i/$rounds: jgan at $BASELINE" >&2
    java -Djava.util.logging.config.file=/dev/null -cp "$base_dir/classes:java/target/test-classes:java/target/classes:$cp" \
      jgan.cpu.LayerBench "$layers" "$threads" "$warmup" "$reps" 2>/dev/null | sed "s/^jgan /$i base /" >> "$raw"
  fi
  echo "layers.sh: round $i/$rounds: jgan" >&2
  java -Djava.util.logging.config.file=/dev/null -cp "java/target/test-classes:java/target/classes:$cp" \
    jgan.cpu.LayerBench "$layers" "$threads" "$warmup" "$reps" 2>>"$raw.head" | sed "s/^/$i /" >> "$raw"
  echo "layers.sh: round $i/$rounds: PyTorch" >&2
  OMP_NUM_THREADS=$threads "$python" bench/cpu/layers.py --layers "$layers" --threads "$threads" --warmup "$warmup" --reps "$reps" \
    | sed "s/^/$i /" >> "$raw"
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$raw.head"
"$python" - "$raw" "$raw.head" "$layers" > "$out" <<'PY'
import statistics, sys
raw, head, layers = sys.argv[1:4]
t = {}
for line in open(raw):
    rnd, who, model, name, pas, ms = line.split()
    t.setdefault((who, model, name, pas), []).append(float(ms))
order = []
for line in open(layers):
    s = line.split("#", 1)[0].split()
    if s:
        order.append((s[0], s[1], s[2], s))
seen = set()
for line in open(head):
    if line not in seen:  # the device line comes once a round
        seen.add(line)
        print(line.rstrip())
hasbase = any(k[0] == "base" for k in t)
print("# per pass: jgan cpu device ms | PyTorch ms | jgan/PyTorch (below 1: jgan faster); medians over rounds; [min-max of the rounds]"
      + ("; then the baseline's ms [min-max] and jgan/baseline" if hasbase else ""))
print("# conv: fprop, dgrad (dx), wgrad (dw, and db with a bias); convT: forward, backward data, backward weight under the same names;")
print("# bn: fprop = training forward with its statistics, dgrad = backward (dx, dgamma, dbeta)")
cur = None
tot = {}
for model, name, kind, s in order:
    if model != cur:
        cur = model
        print(f"\n{model} (batch {s[3]})")
        print(f"{'layer':<12} {'kind':<6} {'shape (in -> out)':<26} {'pass':<6} {'jgan ms':>16} {'torch ms':>16} {'ratio':>6}"
              + (f" {'base ms':>16} {'/base':>6}" if hasbase else ""))
    n, h, w, ci, co, k, st, p = map(int, s[3:11])
    if kind == "bn":
        shape = f"{h}x{w}x{ci}" if h * w > 1 else f"{ci} features"
    else:
        ho = (h - 1) * st - 2 * p + k if kind == "convT" else (h + 2 * p - k) // st + 1
        shape = f"{h}x{w}x{ci} -> {ho}x{ho}x{co} k{k}s{st}p{p}"
    for pas in ("fprop", "dgrad", "wgrad"):
        j, q = t.get(("jgan", model, name, pas)), t.get(("torch", model, name, pas))
        if not j or not q:
            continue
        jm, qm = statistics.median(j), statistics.median(q)
        tot.setdefault(model, [0, 0, 0])
        tot[model][0] += jm
        tot[model][1] += qm
        extra = ""
        bb = t.get(("base", model, name, pas))
        if bb:
            bm = statistics.median(bb)
            tot[model][2] += bm
            extra = f" {bm:7.2f} [{min(bb):.1f}-{max(bb):.1f}] {jm / bm:6.2f}"
        print(f"{name:<12} {kind:<6} {shape:<26} {pas:<6} {jm:7.2f} [{min(j):.1f}-{max(j):.1f}] {qm:7.2f} [{min(q):.1f}-{max(q):.1f}] {jm / qm:6.2f}" + extra)
print()
for model, (a, b, c) in tot.items():
    print(f"{model}: sum of the medians above: jgan {a:.1f} ms, PyTorch {b:.1f} ms, ratio {a / b:.2f}"
          + (f"; baseline {c:.1f} ms, jgan/baseline {a / c:.2f}, baseline/PyTorch {c / b:.2f}" if c else ""))
PY
rm -f "$raw.head"
