#!/usr/bin/env bash
# Per-layer times of DCGAN-28 and DCGAN-64 (batch 64; bench/cpu/layers.txt) on jgan's cpu device
# against PyTorch's CPU convolutions on the same shapes (channels_last, FP32), both on the same
# number of threads. The two run alternately, ROUNDS times, in this one invocation (a jgan round,
# then a PyTorch round, ...); each round prints each pass's median of REPS timed calls after
# WARMUP, and the table gives, per pass, the median over the rounds.
#
# Usage: bench/cpu/layers.sh [OUT.txt]
#   env: LAYERS (bench/cpu/layers.txt; a file of some of its lines, e.g. only dcgan28), THREADS (2), ROUNDS (3), WARMUP (2), REPS (5), PYTHON (a python with torch: /tmp/torchvenv/bin/python)
# PyTorch, offline: python3 -m venv /tmp/torchvenv &&
#   PIP_INDEX_URL=<the first local index of 'pip config list'> /tmp/torchvenv/bin/pip install torch numpy
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:-/dev/stdout}"
threads=${THREADS:-2}; rounds=${ROUNDS:-3}; warmup=${WARMUP:-2}; reps=${REPS:-5}
python=${PYTHON:-/tmp/torchvenv/bin/python}
layers=${LAYERS:-bench/cpu/layers.txt}
NVCC=${NVCC:-none} mvn -B -q test-compile >/dev/null
cp="$(cd java && mvn -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
{
  echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores visible; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# jgan: $(java -version 2>&1 | head -1); PyTorch $("$python" -c 'import torch; print(torch.__version__, "(", torch.backends.cpu.get_cpu_capability(), ")")' 2>/dev/null)"
  echo "# OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; $threads threads each; $rounds alternating rounds of (warm-up $warmup, median of $reps)"
} > "$raw.head"
for ((i = 1; i <= rounds; i++)); do
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
print("# per pass: jgan cpu device ms | PyTorch ms | jgan/PyTorch (below 1: jgan faster); medians over rounds; [min-max of the rounds]")
print("# conv: fprop, dgrad (dx), wgrad (dw, and db with a bias); convT: forward, backward data, backward weight under the same names;")
print("# bn: fprop = training forward with its statistics, dgrad = backward (dx, dgamma, dbeta)")
cur = None
tot = {}
for model, name, kind, s in order:
    if model != cur:
        cur = model
        print(f"\n{model} (batch {s[3]})")
        print(f"{'layer':<12} {'kind':<6} {'shape (in -> out)':<26} {'pass':<6} {'jgan ms':>16} {'torch ms':>16} {'ratio':>6}")
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
        tot.setdefault(model, [0, 0])
        tot[model][0] += jm
        tot[model][1] += qm
        print(f"{name:<12} {kind:<6} {shape:<26} {pas:<6} {jm:7.2f} [{min(j):.1f}-{max(j):.1f}] {qm:7.2f} [{min(q):.1f}-{max(q):.1f}] {jm / qm:6.2f}")
print()
for model, (a, b) in tot.items():
    print(f"{model}: sum of the medians above: jgan {a:.1f} ms, PyTorch {b:.1f} ms, ratio {a / b:.2f}")
PY
rm -f "$raw.head"
