#!/usr/bin/env bash
# Issue 10's GPU measurement in one call (about 7.5 minutes at most: JGAN_STEP_BUDGET seconds, 450 by
# default, plus the last step's own timeout), on a machine with a GPU but no Java or Maven, from the
# bundle of bench/gpu/build-bundle.sh. Run from the repo root (or from an unpacked bundle):
#
#   bash bench/gpu/step.sh OUT_DIR
#
# 1. jgan's fused DCGAN-64 step (nz 100, ngf = ndf = 64, 3 channels) at batch 128, `jgan bench --device
#    gpu --model dcgan --image-size 64 --mode both` (CUDA graph replay and plain launches), --tf32 false and true;
# 2. PyTorch's step on the same model (torch_step_gpu.py): eager and the step captured in a CUDA graph,
#    channels_last, TF32 off and on;
# 3. the per-layer microbenchmark (jgan.bench.ConvLayers beside conv_layers_torch.py: every conv/convT/BN
#    pass of DCGAN-64 against cuDNN, compare_layers.py joins them);
# 4. torch.compile's step (TF32 off and on), last, while the budget lasts (its compile time is not timed);
# then the table (step_summary.py): ms per step median/min/max, images/s, TFLOP/s and the fraction of the
# H200's TF32/FP32 peak, jgan's time over PyTorch eager's and CUDA graph's.
#
# Without a GPU it is a dry run of the same pipeline: jgan on the cpu device and PyTorch on the CPU, both at
# tiny sizes (DCGAN-64 of width 4, batch 2), so a syntax error or a changed output format shows here first.
#
# Files in OUT_DIR: step.txt (everything printed), jgan-step-tf32-{false,true}.txt, torch-step.txt/.jsonl,
# torch-compile.txt/.jsonl, step-rows.jsonl, layers-jgan.txt/.jsonl, layers-torch.txt/.jsonl, step-jgan-info.txt.
# Environment: JGAN_BUNDLE (the tarball), JGAN_BUNDLE_DIR (an unpacked bundle: run.sh passes its own),
# JGAN_JAVA_OPTS, JGAN_STEP_BUDGET (seconds, default 450), JGAN_STEP_BATCH (128), JGAN_STEP_STEPS (200),
# JGAN_LAYERS_BATCH (128), JGAN_PYTHON (a python with PyTorch; default python3: the GPU machine's has it;
# for the dry run here: JGAN_PYTHON="$(bench/peers/torch_venv.sh)"). Only reads the GPU's state: no settings are changed.
set -uo pipefail

if [ $# -lt 1 ] || [ -z "$1" ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,30p' "$0" >&2
    exit 2
fi
START=$(date +%s)
BUDGET="${JGAN_STEP_BUDGET:-450}"
mkdir -p "$1" || exit 3
OUT="$(cd "$1" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPORT="$OUT/step.txt"
: > "$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
die() { say "step.sh: $*"; exit 3; }
left() { echo $((START + BUDGET - $(date +%s))); }

# ---- the bundle ----
# shellcheck source=bundle_env.sh
. "$HERE/bundle_env.sh"
open_bundle jgan-step jgan.jar "${JGAN_BUNDLE_DIR:-}"
PY="${JGAN_PYTHON:-$(command -v python3)}" || die "no python3"

say "== jgan vs PyTorch: the DCGAN-64 training step $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n), budget ${BUDGET} s"
say "bundle: $(sed -n 's/^commit: //p' "$B/BUNDLE.txt" 2>/dev/null)"
command -v nvidia-smi >/dev/null 2>&1 && say "GPU: $(nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader 2>/dev/null | head -1)"
timeout -k 10 120 "$JAVA" "${JVM_OPTS[@]}" -cp "$CP" jgan.cli.Main info > "$OUT/step-jgan-info.txt" 2>&1
if grep -q "^GPU: used" "$OUT/step-jgan-info.txt"; then
    DRY=0
    BATCH="${JGAN_STEP_BATCH:-128}"; NZ=100; NGF=64; NDF=64; WARM=20; STEPS="${JGAN_STEP_STEPS:-200}"; DEV=gpu
else
    DRY=1
    BATCH=2; NZ=8; NGF=4; NDF=4; WARM=1; STEPS=2; DEV=cpu
    say "DRY RUN: jgan sees no GPU: jgan on the cpu device and PyTorch on the CPU at tiny sizes (DCGAN-64 of width $NGF, batch $BATCH); no timing worth reading"
fi

# ---- 1. jgan's fused step ----
say ""
say "== jgan bench: DCGAN-64 batch $BATCH, graph replay and plain launches, TF32 off and on"
: > "$OUT/step-rows.jsonl"
for tf32 in false true; do
    f="$OUT/jgan-step-tf32-$tf32.txt"
    timeout -k 10 120 "$JAVA" "${JVM_OPTS[@]}" -cp "$CP" jgan.cli.Main bench --device "$DEV" --model dcgan --image-size 64 --channels 3 \
        --latent "$NZ" --g-width "$NGF" --d-width "$NDF" --batch "$BATCH" --tf32 "$tf32" --mode both --warmup "$WARM" --steps "$STEPS" \
        > "$f" 2>&1 || say "(jgan bench --tf32 $tf32 exited $?: see $(basename "$f"))"
    grep -v -E '^(step_ms|INFO|[A-Z][a-z]{2} [0-9]+, [0-9]{4})' "$f" | sed "s/^/[tf32 $tf32] /" | tee -a "$REPORT"
    "$PY" "$HERE/step_summary.py" jgan "$f" "$tf32" "$NZ" "$NGF" "$NDF" >> "$OUT/step-rows.jsonl"
done

# ---- 2. PyTorch eager and CUDA graph ----
say ""
say "== PyTorch: eager and the step in a CUDA graph (torch_step_gpu.py; full output: torch-step.txt)"
if "$PY" -c 'import torch' >/dev/null 2>&1; then
    TORCH_ARGS=(--batch "$BATCH" --warmup "$WARM" --steps "$STEPS")
    [ "$DRY" = 1 ] && TORCH_ARGS+=(--device cpu)
    timeout -k 10 180 "$PY" "$HERE/torch_step_gpu.py" "${TORCH_ARGS[@]}" --modes eager,graph --json "$OUT/torch-step.jsonl" \
        > "$OUT/torch-step.txt" 2>&1 || say "(torch_step_gpu.py exited $?: see torch-step.txt)"
    grep -v '^{' "$OUT/torch-step.txt" | tee -a "$REPORT"
else
    say "PyTorch not importable here: no PyTorch peer"
fi

# ---- 3. the per-layer microbenchmark (as run.sh ran it before) ----
say ""
say "== conv layers: jgan vs PyTorch + cuDNN (full output: layers-jgan.txt, layers-torch.txt)"
timeout -k 10 150 "$JAVA" "${JVM_OPTS[@]}" -cp "$CP" jgan.bench.ConvLayers --device auto --batch "${JGAN_LAYERS_BATCH:-128}" \
    --json "$OUT/layers-jgan.jsonl" > "$OUT/layers-jgan.txt" 2>&1 || say "(jgan ConvLayers exited $?: see layers-jgan.txt)"
grep -v -E '^(INFO|[A-Z][a-z]{2} [0-9]+, [0-9]{4})' "$OUT/layers-jgan.txt" | tee -a "$REPORT"
if "$PY" -c 'import torch' >/dev/null 2>&1; then
    timeout -k 10 150 "$PY" "$HERE/conv_layers_torch.py" --batch "${JGAN_LAYERS_BATCH:-128}" --json "$OUT/layers-torch.jsonl" \
        > "$OUT/layers-torch.txt" 2>&1 || say "(conv_layers_torch.py exited $?: see layers-torch.txt)"
    grep -v '^{' "$OUT/layers-torch.txt" | tee -a "$REPORT"
    if [ -s "$OUT/layers-jgan.jsonl" ] && [ -s "$OUT/layers-torch.jsonl" ]; then
        say ""
        say "== conv layers side by side"
        "$PY" "$HERE/compare_layers.py" "$OUT/layers-jgan.jsonl" "$OUT/layers-torch.jsonl" 2>&1 | tee -a "$REPORT"
    fi
fi

# ---- 4. torch.compile, while the budget lasts ----
say ""
REMAIN=$(left)
if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
    :
elif [ "$REMAIN" -lt 45 ]; then
    say "== torch.compile: skipped (${REMAIN} s of the budget left)"
else
    say "== torch.compile (TF32 off, on; ${REMAIN} s of the budget left; full output: torch-compile.txt)"
    TORCH_ARGS=(--batch "$BATCH" --warmup "$WARM" --steps "$STEPS")
    [ "$DRY" = 1 ] && TORCH_ARGS+=(--device cpu --compile-backend eager)  # Inductor's CPU build takes > 10 min on 2 loaded cores
    # the second setting starts only if half the time is still left (a recompile costs about as much as the first)
    timeout -k 10 "$REMAIN" "$PY" "$HERE/torch_step_gpu.py" "${TORCH_ARGS[@]}" --modes compile \
        --deadline $(($(date +%s) + REMAIN / 2)) --json "$OUT/torch-compile.jsonl" \
        > "$OUT/torch-compile.txt" 2>&1 || say "(torch_step_gpu.py --modes compile exited $?: see torch-compile.txt)"
    grep -v '^{' "$OUT/torch-compile.txt" | grep -v -E '^\s*$' | tee -a "$REPORT"
fi

# ---- the table ----
say ""
say "== the DCGAN-64 step, batch $BATCH: jgan vs PyTorch$([ "$DRY" = 1 ] && echo ' (DRY RUN: tiny sizes on the CPU)')"
"$PY" "$HERE/step_summary.py" table "$OUT/step-rows.jsonl" "$OUT/torch-step.jsonl" "$OUT/torch-compile.jsonl" 2>&1 | tee -a "$REPORT"
say "step.sh: $(( $(date +%s) - START )) s"
