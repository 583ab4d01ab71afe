#!/usr/bin/env bash
# Issue 10's CPU comparison: one training step of jgan's cpu device against its peers, PyTorch 2.13
# CPU (bench/peers/torch_step.py) and DJL 0.36 on its PyTorch engine (bench/peers/djl), on the same
# models, init, optimizer and thread count, run alternately in this one invocation: round 1 = (jgan,
# torch, djl) for each model, round 2 = the same, ... Each run is its own process: WARMUP steps,
# then STEPS timed steps. The table pools every timed step of every round: median, min and max ms
# per step, the median of the round medians, and the ratios. Every peer prints its parameter count
# (G and D, PyTorch's sum of numel() over parameters()); the table shows them and flags a mismatch.
#
# Models: dcgan28 (bench/cpu/layers.txt's DCGAN-28: latent 64, ngf = ndf = 64, 1 channel, batch 64),
# dcgan64 (PyTorch's DCGAN example: nz 100, ngf = ndf = 64, 3 channels, batch 64), mlp (jgan's toy
# pair at the ring8 defaults: batch 512, G and D 3 x 128 ReLU, Adam, without the R1 penalty that the
# mixtures' defaults add since issue 11 (--r1 0: the peer's step has none); jgan and PyTorch only:
# DJL is the peer of the image models).
#
# jgan's step: `./jgan bench --device cpu --mode graph` (the replayed step, as jgan train runs it)
# with --model dcgan --image-size 28|64 --channels 1|3 --latent 64|100 --g-width 64 --d-width 64
# --batch 64 (synthetic batches, uploaded as training uploads them), or --data ring8 for mlp, with
# JGAN_JAVA_OPTS=-Djgan.cpu.threads=T; it prints `step_ms: <ms of each timed step>` and
# `params: G n D n`. JGAN_BENCH_ARGS adds arguments. If `./jgan bench --help` does not list --model
# (an older jgan), jgan is skipped with a line saying so.
#
# Then, unless WITH_PROFILE=0, jgan's per-layer breakdown of each model's step: `jgan bench
# --profile` (every launch of PROFILE_STEPS plain steps timed around its synchronous execution on
# the cpu device, with the BLAS's sgemm time inside it: per op class and per layer pass).
#
# Usage: bench/cpu.sh [OUT.txt]
#   env: MODELS ("dcgan28 dcgan64 mlp"), PEERS ("jgan torch djl"), THREADS (2), ROUNDS (3), WARMUP (10),
#        STEPS (20; dcgan64 runs STEPS64, default 8, as its step is ~10x longer; mlp runs STEPSMLP,
#        default 200, after WARMUPMLP, default 50), TORCH_VENV (/tmp/torchvenv), WITH_PROFILE (1),
#        PROFILE_STEPS (5), WITH_LAYERS (0; 1 appends bench/cpu/layers.sh's per-layer table: jgan's
#        conv / convT / BN passes against PyTorch's)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-/dev/stdout}"
models=${MODELS:-dcgan28 dcgan64 mlp}; peers=${PEERS:-jgan torch djl}
threads=${THREADS:-2}; rounds=${ROUNDS:-3}; warmup=${WARMUP:-10}; steps=${STEPS:-20}; steps64=${STEPS64:-8}
stepsmlp=${STEPSMLP:-200}; warmupmlp=${WARMUPMLP:-50}
raw="$(mktemp)"; head="$(mktemp)"; params="$(mktemp)"; one="$(mktemp)"
trap 'rm -f "$raw" "$head" "$params" "$one"' EXIT
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
  echo "# $(java -version 2>&1 | head -1); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; $threads threads each; $rounds alternating rounds; warm-up $warmup steps, then $steps timed steps ($steps64 for dcgan64; mlp: warm-up $warmupmlp, $stepsmlp timed) a run"
  if has torch; then echo "# torch: PyTorch $("$python" -c 'import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability())'), channels_last"; fi
  if has djl; then echo "# djl: DJL 0.36.0, PyTorch engine (libtorch 2.7.1 cpu), NCHW; transposed convs as exact sub-pixel convs (DJL has no Conv2dTranspose on this engine)"; fi
  if has jgan && ((!jgan_ok)); then echo "# jgan: skipped: this jgan's 'bench' has no --model yet (issue 8/10); the peers alone are measured"; fi
  if ((jgan_ok)); then echo "# jgan: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)'), ./jgan bench --device cpu --mode graph (the replayed step), -Djgan.cpu.threads=$threads"; fi
} >> "$head"

jgan_model() { # model -> jgan bench's arguments for it
  case $1 in
    dcgan28) echo "--model dcgan --image-size 28 --channels 1 --latent 64 --g-width 64 --d-width 64 --batch 64" ;;
    dcgan64) echo "--model dcgan --image-size 64 --channels 3 --latent 100 --g-width 64 --d-width 64 --batch 64" ;;
    mlp) echo "--data ring8 --r1 0" ;; # the ring8 defaults without R1 (the peer has none): the same model and step
  esac
}

run_one() { # peer model warmup steps -> its output in $one: "params PEER MODEL G n D n" and "PEER MODEL BATCH THREADS ms..."
  local who=$1 model=$2 w=$3 n=$4
  case $who in
    torch) "$python" bench/peers/torch_step.py --model "$model" --threads "$threads" --warmup "$w" --steps "$n" ;;
    djl) PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" \
           -Dai.djl.pytorch.num_interop_threads=1 -cp "$djlcp" jganpeer.DjlStep "$model" 64 "$w" "$n" 2> >(grep '^djl:' >&2) \
           | grep -E '^(djl|params) ' ;;
    jgan) local b=64; if [ "$model" = mlp ]; then b=512; fi
          # shellcheck disable=SC2046 # the model's arguments are words
          JGAN_JAVA_OPTS="${JGAN_JAVA_OPTS:-} -Djgan.cpu.threads=$threads" ./jgan bench --device cpu $(jgan_model "$model") --mode graph \
            --warmup "$w" --steps "$n" ${JGAN_BENCH_ARGS:-} \
            | sed -nE -e "s/^step_ms:(.*)/jgan $model $b $threads\1/p" -e "s/^params: (.*)/params jgan $model \1/p" ;;
  esac > "$one"
}

for ((r = 1; r <= rounds; r++)); do
  for model in $models; do
    n=$steps; w=$warmup
    if [ "$model" = dcgan64 ]; then n=$steps64; fi
    if [ "$model" = mlp ]; then n=$stepsmlp; w=$warmupmlp; fi
    for who in $peers; do
      if [ "$who" = jgan ] && ((!jgan_ok)); then continue; fi
      if [ "$who" = djl ] && [ "$model" = mlp ]; then continue; fi
      echo "cpu.sh: round $r/$rounds: $model: $who" >&2
      run_one "$who" "$model" "$w" "$n"
      line="$(grep -v '^params ' "$one" || true)"
      if [ -z "$line" ]; then echo "cpu.sh: $who $model printed no step times" >&2; exit 1; fi
      echo "$r $line" >> "$raw"
      grep '^params ' "$one" >> "$params" || true
    done
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$head"
python3 - "$raw" "$head" "$params" > "$out" <<'PY'
import statistics, sys
raw, head, params = sys.argv[1:4]
print(open(head).read().rstrip())
counts = {}
for line in open(params):
    f = line.split()  # params PEER MODEL G n D n
    counts.setdefault(f[2], {}).setdefault(f[1], (int(f[4]), int(f[6])))
for model, by in counts.items():
    same = len(set(by.values())) == 1
    print(f"# parameters {model}: " + ", ".join(f"{w} G {g:,} D {d:,}" for w, (g, d) in by.items())
          + ("  (the same model in every peer)" if same else "  MISMATCH: the peers do not run the same model"))
t, rounds = {}, {}
for line in open(raw):
    f = line.split()
    r, who, model = f[0], f[1], f[2]
    ms = [float(x) for x in f[5:]]
    t.setdefault((model, who), []).extend(ms)
    rounds.setdefault((model, who), []).append(statistics.median(ms))
print("# ms per step: all timed steps of all rounds pooled (median, min, max); 'rounds' = each round's median")
for model in dict.fromkeys(m for m, _ in t):
    batch = {line.split()[2]: line.split()[3] for line in open(raw)}[model]
    print(f"\n{model} (batch {batch})")
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
if ((jgan_ok)) && [ "${WITH_PROFILE:-1}" = 1 ]; then
  for model in $models; do
    echo "cpu.sh: jgan's profile of the $model step" >&2
    w=3; if [ "$model" = mlp ]; then w=20; fi
    # shellcheck disable=SC2046
    { echo; echo "# ---------------------------------------------------------------- jgan $model: where the step's time goes (jgan bench --profile)"
      JGAN_JAVA_OPTS="${JGAN_JAVA_OPTS:-} -Djgan.cpu.threads=$threads" ./jgan bench --device cpu $(jgan_model "$model") --mode plain \
        --warmup "$w" --steps 1 --profile --profile-steps "${PROFILE_STEPS:-5}" ${JGAN_BENCH_ARGS:-} | sed -n '/^profile/,$p'
    } >> "$out"
  done
fi
if [ "${WITH_LAYERS:-0}" = 1 ] && [ "$out" != /dev/stdout ]; then
  echo "cpu.sh: per-layer table (bench/cpu/layers.sh)" >&2
  { echo; echo "# ---------------------------------------------------------------- per layer: bench/cpu/layers.sh"; } >> "$out"
  PYTHON="${python:-}" THREADS=$threads bench/cpu/layers.sh >> "$out"
elif [ "${WITH_LAYERS:-0}" = 1 ]; then
  PYTHON="${python:-}" THREADS=$threads bench/cpu/layers.sh
fi
