#!/usr/bin/env bash
# Issue 10's CPU comparison: one DCGAN training step (batch 64) of jgan's cpu device against its
# peers, PyTorch 2.13 CPU (bench/peers/torch_step.py) and DJL 0.36 on its PyTorch engine
# (bench/peers/djl), on the same models, init, optimizer and thread count, run alternately in
# this one invocation: round 1 = (jgan, torch, djl) for each model, round 2 = the same, ... Each
# run is its own process: WARMUP steps, then STEPS timed steps. The table pools every timed step
# of every round: median, min and max ms per step, the median of the round medians, and the ratios.
#
# jgan's step: `jgan bench --model dcgan` (issue 8/10). Until `./jgan bench --help` lists --model,
# jgan is skipped with a line saying so and the peers alone are measured. The contract this script
# reads: `./jgan bench --device cpu --model dcgan --image-size 28|64 --channels 1|3 --batch B
# --warmup W --steps S` (JGAN_JAVA_OPTS=-Djgan.cpu.threads=T) prints a line
#   step_ms: <ms of each timed step, space-separated>
# (the same numbers as the peers' lines). JGAN_BENCH_ARGS adds arguments (e.g. --data fashion-mnist).
#
# Usage: bench/cpu.sh [OUT.txt]
#   env: MODELS ("dcgan28 dcgan64"), PEERS ("jgan torch djl"), THREADS (2), ROUNDS (3), WARMUP (10),
#        STEPS (20; dcgan64 runs STEPS64, default 8, as its step is ~10x longer), TORCH_VENV (/tmp/torchvenv),
#        WITH_LAYERS (0; 1 appends bench/cpu/layers.sh's per-layer table: jgan's conv / convT / BN passes
#        against PyTorch's, where the step's time goes, until jgan bench gives its own breakdown)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-/dev/stdout}"
models=${MODELS:-dcgan28 dcgan64}; peers=${PEERS:-jgan torch djl}
threads=${THREADS:-2}; rounds=${ROUNDS:-3}; warmup=${WARMUP:-10}; steps=${STEPS:-20}; steps64=${STEPS64:-8}
raw="$(mktemp)"; head="$(mktemp)"
trap 'rm -f "$raw" "$head"' EXIT
export OMP_NUM_THREADS=$threads

has() { [[ " $peers " == *" $1 "* ]]; }
if has torch; then
  python="$(bench/peers/torch_venv.sh)"
fi
if has djl; then
  echo "cpu.sh: building the DJL peer (bench/peers/djl)" >&2
  (cd bench/peers/djl && mvn -B -q compile && mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt) >&2
  djlcp="bench/peers/djl/target/classes:$(cat bench/peers/djl/target/classpath.txt)"
fi
jgan_ok=0
if has jgan && ./jgan bench --help 2>/dev/null | grep -q -- '--model'; then
  jgan_ok=1
fi
{
  echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores visible, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $(java -version 2>&1 | head -1); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; $threads threads each; $rounds alternating rounds; warm-up $warmup steps, then $steps timed steps ($steps64 for dcgan64) a run"
  if has torch; then echo "# torch: PyTorch $("$python" -c 'import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability())'), channels_last"; fi
  if has djl; then echo "# djl: DJL 0.36.0, PyTorch engine (libtorch 2.7.1 cpu), NCHW; transposed convs as exact sub-pixel convs (DJL has no Conv2dTranspose on this engine)"; fi
  if has jgan && ((!jgan_ok)); then echo "# jgan: skipped: this jgan's 'bench' has no --model yet (issue 8/10); the peers alone are measured"; fi
  if ((jgan_ok)); then echo "# jgan: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ./jgan bench --device cpu, -Djgan.cpu.threads=$threads"; fi
} >> "$head"

run_one() { # peer model steps -> one line "peer model batch threads ms..."
  local who=$1 model=$2 n=$3 size=28 ch=1
  if [ "$model" = dcgan64 ]; then size=64; ch=3; fi
  case $who in
    torch) "$python" bench/peers/torch_step.py --model "$model" --threads "$threads" --warmup "$warmup" --steps "$n" ;;
    djl) PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" \
           -Dai.djl.pytorch.num_interop_threads=1 -cp "$djlcp" jganpeer.DjlStep "$model" 64 "$warmup" "$n" 2> >(grep '^djl:' >&2) | grep '^djl ' ;;
    jgan) JGAN_JAVA_OPTS="${JGAN_JAVA_OPTS:-} -Djgan.cpu.threads=$threads" ./jgan bench --device cpu --model dcgan --image-size $size \
            --channels $ch --batch 64 --warmup "$warmup" --steps "$n" ${JGAN_BENCH_ARGS:-} \
            | sed -nE "s/^step_ms:(.*)/jgan $model 64 $threads\1/p" ;;
  esac
}

for ((r = 1; r <= rounds; r++)); do
  for model in $models; do
    n=$steps; if [ "$model" = dcgan64 ]; then n=$steps64; fi
    for who in $peers; do
      if [ "$who" = jgan ] && ((!jgan_ok)); then continue; fi
      echo "cpu.sh: round $r/$rounds: $model: $who" >&2
      line="$(run_one "$who" "$model" "$n")"
      if [ -z "$line" ]; then echo "cpu.sh: $who $model printed no step times" >&2; exit 1; fi
      echo "$r $line" >> "$raw"
    done
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$head"
python3 - "$raw" "$head" > "$out" <<'PY'
import statistics, sys
raw, head = sys.argv[1:3]
print(open(head).read().rstrip())
t, rounds = {}, {}
for line in open(raw):
    f = line.split()
    r, who, model = f[0], f[1], f[2]
    ms = [float(x) for x in f[5:]]
    t.setdefault((model, who), []).extend(ms)
    rounds.setdefault((model, who), []).append(statistics.median(ms))
print("# ms per step: all timed steps of all rounds pooled (median, min, max); 'rounds' = each round's median")
for model in dict.fromkeys(m for m, _ in t):
    print(f"\n{model} (batch 64)")
    print(f"{'':<6} {'median':>9} {'min':>9} {'max':>9}   rounds")
    med = {}
    for who in ("jgan", "torch", "djl"):
        if (model, who) in t:
            v = t[(model, who)]
            med[who] = statistics.median(v)
            print(f"{who:<6} {med[who]:9.1f} {min(v):9.1f} {max(v):9.1f}   " + " ".join(f"{x:.1f}" for x in rounds[(model, who)]))
    for a, b in (("jgan", "torch"), ("jgan", "djl"), ("djl", "torch")):
        if a in med and b in med:
            print(f"{a}/{b} (medians): {med[a] / med[b]:.2f}")
PY
if [ "${WITH_LAYERS:-0}" = 1 ] && [ "$out" != /dev/stdout ]; then
  echo "cpu.sh: per-layer table (bench/cpu/layers.sh)" >&2
  { echo; echo "# ---------------------------------------------------------------- per layer: bench/cpu/layers.sh"; } >> "$out"
  PYTHON="${python:-}" THREADS=$threads bench/cpu/layers.sh >> "$out"
elif [ "${WITH_LAYERS:-0}" = 1 ]; then
  PYTHON="${python:-}" THREADS=$threads bench/cpu/layers.sh
fi
